import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startS3Server, type TestS3Server } from "../support/destination-servers.js";
import { api, tempDir } from "../support/processes.js";
import { captureBothSchemes } from "./support/capture.js";
import { type ConsoleRig, startConsoleRig } from "./support/console-rig.js";

/** A ceiling, not a wait: each step drives a real browser and each capture runs axe twice, on a shared 2-core machine. */
const SLOW = 180_000;

/** The browser's console logs each refused request; the test expects those of `status` and nothing else. */
const except = (status: number) => (problems: string[]) => problems.filter((p) => !p.includes(`status of ${status}`));

describe("the destinations page, against a real control plane", () => {
  let rig: ConsoleRig;
  let s3: TestS3Server;
  const folder = tempDir("console-destination");
  beforeAll(async () => {
    // No periodic probes here: the free space shown comes from the Test button (health.test.ts shows the probes).
    [rig, s3] = await Promise.all([startConsoleRig({}, { env: { HOLDFAST_DESTINATION_PROBE_INTERVAL_MS: "0" } }), startS3Server()]);
  }, SLOW);
  afterAll(async () => {
    await Promise.all([rig?.stop(), s3?.stop()]);
  }, SLOW);

  it("adds a local destination: exactly that type's fields, checked as typed; an unusable folder shows the server's refusal", async () => {
    const { page, problems } = await rig.open("/destinations", { token: rig.adminToken });
    await page.getByRole("heading", { name: "No destinations yet" }).waitFor();
    expect(await captureBothSchemes(page, "destinations-empty")).toEqual([]);

    await page.getByRole("button", { name: "Add destination" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a destination" });
    await dialog.waitFor();
    expect(await dialog.getByRole("textbox").evaluateAll((els) => els.map((el) => (el as HTMLInputElement).labels?.[0]?.textContent?.replace("*", "").trim()))).toEqual(["Name", "Folder", "Quota (GB)", "Transfer cap (MiB/s)"]);
    await dialog.getByRole("textbox", { name: "Name" }).fill("nightly");
    await dialog.getByRole("textbox", { name: "Folder" }).fill("backups");
    await dialog.getByText("must be an absolute path").waitFor();

    const refusedBody = { name: "nightly", type: "local", config: { path: "/proc/x" } };
    const refused = await api(rig.cp, rig.adminToken).post("/destinations", refusedBody);
    expect(refused.status).toBe(422);
    await dialog.getByRole("textbox", { name: "Folder" }).fill("/proc/x");
    expect(await dialog.getByText("must be an absolute path").count()).toBe(0);
    await dialog.getByRole("button", { name: "Add destination" }).click();
    const alert = dialog.getByRole("alert").filter({ hasText: "The destination was not added" });
    await alert.waitFor();
    expect(await alert.textContent()).toContain(refused.body.error.message);
    expect(await captureBothSchemes(page, "destinations-add-refused")).toEqual([]);

    await dialog.getByRole("textbox", { name: "Folder" }).fill(folder);
    await dialog.getByRole("button", { name: "Add destination" }).click();
    await dialog.waitFor({ state: "hidden" });
    const card = page.getByRole("listitem", { name: "nightly" });
    await card.getByText(folder).waitFor();
    expect(await card.getByText("0 B in 0 backups").count()).toBe(1);
    expect(await card.getByText("test to measure").count()).toBe(1);
    expect(except(422)(await problems())).toEqual([]);
    await page.close();
  }, SLOW);

  it("shows S3's and SFTP's own fields, secrets masked", async () => {
    const { page, problems } = await rig.open("/destinations", { token: rig.adminToken });
    await page.getByRole("button", { name: "Add destination" }).click();
    const dialog = page.getByRole("dialog", { name: "Add a destination" });
    await dialog.getByText("S3 or compatible").click();
    await dialog.getByRole("textbox", { name: "Bucket" }).waitFor();
    expect(await dialog.getByRole("textbox", { name: "Folder" }).count()).toBe(0);
    expect(await dialog.getByRole("textbox", { name: "Secret access key" }).getAttribute("type")).toBe("password");
    // Object Lock: a mode to choose and a number of days, together.
    await dialog.getByRole("group", { name: "Object Lock" }).waitFor();
    await dialog.getByRole("textbox", { name: "Days locked" }).fill("0");
    await dialog.getByText("must be at least 1 day").waitFor();
    await dialog.getByRole("textbox", { name: "Endpoint" }).fill("ftp://minio");
    await dialog.getByText("must be an http(s) URL").waitFor();
    expect(await captureBothSchemes(page, "destinations-add-s3")).toEqual([]);
    await dialog.getByText("SFTP").click();
    await dialog.getByRole("textbox", { name: "Host key fingerprint" }).waitFor();
    expect(await dialog.getByRole("textbox", { name: "Bucket" }).count()).toBe(0);
    expect(await dialog.getByRole("textbox", { name: "Password" }).getAttribute("type")).toBe("password");
    expect(await captureBothSchemes(page, "destinations-add-sftp")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("tests the destination: the probe passes and the free space is shown", async () => {
    const { page, problems } = await rig.open("/destinations", { token: rig.adminToken });
    const card = page.getByRole("listitem", { name: "nightly" });
    await card.getByRole("button", { name: "Test nightly" }).click();
    await card.getByText(/Test passed: wrote, read back and deleted .* in \d+ ms/).waitFor();
    expect(await card.getByText("test to measure").count()).toBe(0);
    expect(await card.locator("dd").nth(2).textContent()).toMatch(/^[\d.]+ [kMGT]?B$/);
    expect(await captureBothSchemes(page, "destinations")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("edits the quota and the transfer cap (0 refused on the field) and shows them", async () => {
    const { page, problems } = await rig.open("/destinations", { token: rig.adminToken });
    const card = page.getByRole("listitem", { name: "nightly" });
    await card.getByRole("button", { name: "Edit nightly" }).click();
    const dialog = page.getByRole("dialog", { name: "Edit nightly" });
    expect(await dialog.getByRole("textbox", { name: "Folder" }).inputValue()).toBe(folder);
    await dialog.getByRole("textbox", { name: "Quota (GB)" }).fill("2.5");
    await dialog.getByRole("textbox", { name: "Transfer cap (MiB/s)" }).fill("0");
    await dialog.getByText("must be at least 0.1 MiB/s").waitFor();
    await dialog.getByRole("textbox", { name: "Transfer cap (MiB/s)" }).fill("5");
    expect(await captureBothSchemes(page, "destinations-edit-dialog")).toEqual([]);
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.waitFor({ state: "hidden" });
    await card.getByText("2.5 GB (0% used)").waitFor();
    await card.getByText("5 MiB/s").waitFor();
    expect((await api(rig.cp, rig.adminToken).get("/destinations")).body.items[0]).toMatchObject({ maxSizeGb: 2.5, transferCapMiBps: 5 });
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("fits a phone", async () => {
    const { page, problems } = await rig.open("/destinations", { token: rig.adminToken });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("listitem", { name: "nightly" }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    expect(await captureBothSchemes(page, "destinations-narrow")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("deletes the destination after a confirmation that says what follows", async () => {
    const { page, problems } = await rig.open("/destinations", { token: rig.adminToken });
    await page.getByRole("button", { name: "Delete nightly" }).click();
    const dialog = page.getByRole("dialog", { name: "Delete destination nightly?" });
    await dialog.getByText("No schedule delivers to it.").waitFor();
    expect(await dialog.textContent()).toContain("backups already written there are not deleted");
    expect(await captureBothSchemes(page, "destinations-delete-dialog")).toEqual([]);
    await dialog.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("heading", { name: "No destinations yet" }).waitFor();
    expect((await api(rig.cp, rig.adminToken).get("/destinations")).body.items).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);

  it("says on the destination when its credentials cannot delete, and what the test found", async () => {
    // s3rver's write-only key pair: DeleteObject is refused with AccessDenied, as an IAM policy without s3:DeleteObject does.
    const created = await api(rig.cp, rig.adminToken).post("/destinations", { name: "write-only", type: "s3", config: s3.config({ prefix: "console", ...s3.writeOnly }) });
    expect(created.status).toBe(201);
    expect(created.body.deleteDeniedAt).not.toBeNull();
    const { page, problems } = await rig.open("/destinations", { token: rig.adminToken });
    const card = page.getByRole("listitem", { name: "write-only" });
    const notice = card.getByRole("note").filter({ hasText: "Its credentials cannot delete" });
    await notice.waitFor();
    expect(await notice.textContent()).toContain("kept: the credentials cannot delete");
    await card.getByRole("button", { name: "Test write-only" }).click();
    await card.getByText(/Test passed: wrote and read back .*; the credentials may not delete, so \.holdfast-probe-\w+ stays\./).waitFor();
    expect(await captureBothSchemes(page, "destinations-cannot-delete")).toEqual([]);
    expect(await problems()).toEqual([]);
    await page.close();
  }, SLOW);
});
