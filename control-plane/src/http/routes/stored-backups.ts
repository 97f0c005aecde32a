import { Hono } from "hono";
import { CatalogueImportBody, DeleteOrphansBody, IdParam } from "@holdfast/shared";
import { importCatalogue } from "../../catalogue/import-catalogue.js";
import { deleteOrphans, listOrphans } from "../../catalogue/orphans.js";
import type { AppContext } from "../../context.js";
import { scoped } from "../middleware.js";
import { jsonBody, params } from "../validate.js";
import type { HonoEnv } from "../types.js";

/**
 * `/api/v1/destinations/:id/…` over what a destination holds rather than what the catalogue says:
 * the catalogue rebuilt from its sidecars, and the backups no delivery record holds (cleanup).
 * The run-side routes (validate, copies) are in runs.ts.
 */
export function storedBackupRoutes(ctx: AppContext) {
  return new Hono<HonoEnv>()
    .post("/destinations/:id/catalogue/import", params(IdParam), jsonBody(CatalogueImportBody, "catalogue import"), async (c) =>
      c.json(await importCatalogue(scoped(ctx, c), c.req.valid("param").id, c.req.valid("json"))),
    )
    .get("/destinations/:id/orphans", params(IdParam), async (c) => c.json(await listOrphans(scoped(ctx, c), c.req.valid("param").id)))
    .post("/destinations/:id/orphans/delete", params(IdParam), jsonBody(DeleteOrphansBody, "orphan deletion"), async (c) =>
      c.json(await deleteOrphans(scoped(ctx, c), c.req.valid("param").id, c.req.valid("json").objectNames)),
    );
}
