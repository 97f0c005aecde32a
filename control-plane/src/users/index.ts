export { createUser, generatePassword, type CreatedUser } from "./create-user.js";
export { type UserView, type UserRecord, toUserRecord } from "./user-record.js";
export { getUser, getUserByEmail, listUsers } from "./find-user.js";
export { updateUser, setPassword, deleteUser } from "./update-user.js";
export { verifyPassword } from "./verify-password.js";
export { assertUserActive, type AuthenticatedUser, type Credential } from "./authenticated-user.js";
export { createApiToken, resolveApiToken, API_TOKEN_PREFIX, LAST_USE_RESOLUTION_MS } from "./api-tokens.js";
export { type ApiTokenView } from "./api-token-view.js";
export { createApiTokenAs, listApiTokens, revokeApiToken } from "./manage-api-tokens.js";
