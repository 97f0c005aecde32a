export { recordAudit, auditActor, type AuditActor, type AuditContext, type AuditEntry } from "./record-audit.js";
export { listAudit, type AuditPage, type AuditRecord } from "./list-audit.js";
