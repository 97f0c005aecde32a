import { API_ROUTE_ROLES, type ApiRoute, Role } from "@holdfast/shared";
import { describe, expect, it } from "vitest";
import { canDo } from "./can.js";

describe("canDo", () => {
  it("lets a viewer read and nothing more", () => {
    expect(canDo("viewer", "GET /agents")).toBe(true);
    expect(canDo("viewer", "POST /datasources/:id/backups")).toBe(false);
    expect(canDo("viewer", "POST /agents/:id/revoke")).toBe(false);
  });

  it("lets an operator run backups but not revoke agents", () => {
    expect(canDo("operator", "POST /datasources/:id/backups")).toBe(true);
    expect(canDo("operator", "POST /runs/:runId/restore")).toBe(true);
    expect(canDo("operator", "POST /agents/:id/revoke")).toBe(false);
  });

  it("agrees with the server's table for every route and role", () => {
    const rank = { viewer: 0, operator: 1, admin: 2 } as const;
    for (const [route, needed] of Object.entries(API_ROUTE_ROLES) as [ApiRoute, string][]) {
      for (const role of Role.options) {
        const expected = needed === "open" || rank[role] >= rank[needed as Role];
        expect(canDo(role, route), `${role} ${route}`).toBe(expected);
      }
    }
  });
});
