import type { UseQueryResult } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { ErrorState, LoadingState } from "./states.js";

interface QueryViewProps<T> {
  query: UseQueryResult<T>;
  /** What is being loaded, for the loading line ("Loading agents…"). */
  what: string;
  /** Whether the data counts as empty; `empty` is shown then. */
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  children: (data: T) => ReactNode;
}

/**
 * The three states every list and detail has: loading, failed (with retry), empty, then the data.
 * A refetch that fails while data is shown keeps the data and shows the error above it.
 */
export function QueryView<T>({ query, what, isEmpty, empty, children }: QueryViewProps<T>) {
  if (query.isPending) return <LoadingState label={`Loading ${what}`} />;
  if (query.isError && query.data === undefined) return <ErrorState title={`Could not load ${what}`} error={query.error} onRetry={() => void query.refetch()} />;
  const data = query.data as T;
  return (
    <>
      {query.isError && <ErrorState title={`Could not refresh ${what}`} error={query.error} onRetry={() => void query.refetch()} />}
      {isEmpty?.(data) && empty !== undefined ? empty : children(data)}
    </>
  );
}
