let token: string | undefined;

/**
 * The session's CSRF token, in memory only: the sign-in answer and `GET /api/v1/session` carry it,
 * and every request that changes something sends it back (api/console-fetch.ts). Never stored: a
 * reload asks the session again.
 */
export const csrfToken = {
  get: (): string | undefined => token,
  set: (value: string | undefined): void => {
    token = value;
  },
};
