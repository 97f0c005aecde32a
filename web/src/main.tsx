import "./zod-config.js";
import "@mantine/core/styles.css";
import "./theme/global.css";
import { RouterProvider } from "@tanstack/react-router";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { router } from "./router.js";
import { adoptCspNonce, readCspNonce } from "./theme/nonce.js";
import { Providers } from "./theme/providers.js";

const nonce = readCspNonce();
adoptCspNonce(nonce);

const root = document.getElementById("root");
if (!root) throw new Error("index.html has no #root");
createRoot(root).render(
  <StrictMode>
    <Providers nonce={nonce}>
      <RouterProvider router={router} />
    </Providers>
  </StrictMode>,
);
