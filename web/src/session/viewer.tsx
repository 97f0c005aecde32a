import type { ApiRoute, Role } from "@holdfast/shared";
import { createContext, type ReactNode, useContext, useMemo, useState } from "react";
import { canDo } from "./can.js";

export interface SignedInUser {
  id: string;
  email: string;
  role: Role;
}

interface ViewerState {
  /** Who is signed in; null while the console does not know (a request authenticated otherwise). */
  user: SignedInUser | null;
  setUser: (user: SignedInUser | null) => void;
}

const ViewerContext = createContext<ViewerState>({ user: null, setUser: () => {} });

export function ViewerProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<SignedInUser | null>(null);
  const value = useMemo(() => ({ user, setUser }), [user]);
  return <ViewerContext.Provider value={value}>{children}</ViewerContext.Provider>;
}

export function useViewer(): ViewerState {
  return useContext(ViewerContext);
}

/**
 * Whether to offer an action: what the viewer's role may do by the server's table. While the console
 * does not know the role, it offers the action and the server's 403 (shown with its action) decides.
 */
export function useCan(route: ApiRoute): boolean {
  const { user } = useViewer();
  return user ? canDo(user.role, route) : true;
}

/** Renders its children only for a viewer whose role may call `route`. */
export function Can({ route, children }: { route: ApiRoute; children: ReactNode }) {
  return useCan(route) ? children : null;
}
