export { createUser, CreateUserInput, type UserView } from "./create-user.js";
export { getUserByEmail } from "./find-user.js";
export { verifyPassword } from "./verify-password.js";
export { createApiToken, resolveApiToken, API_TOKEN_PREFIX } from "./api-tokens.js";
