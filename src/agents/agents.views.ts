import type { UserRow } from './agents.repo.js';

// Genesys's User shape (the fields threadline has), plus the permissions a user's tokens carry.
export function userView(row: UserRow) {
  return {
    id: row.id,
    name: row.name,
    email: row.email,
    username: row.email,
    state: row.deleted_at === null ? ('active' as const) : ('deleted' as const),
    permissions: JSON.parse(row.permissions) as string[],
    dateCreated: new Date(Number(row.created_at)).toISOString(),
    selfUri: `/api/v2/users/${row.id}`,
  };
}

export type UserView = ReturnType<typeof userView>;

export function memberView(row: { id: string; name: string; email: string; joined_at: number }) {
  return {
    id: row.id,
    name: row.name,
    user: { id: row.id, name: row.name, email: row.email, selfUri: `/api/v2/users/${row.id}` },
    joined: true,
    memberBy: 'user' as const,
    dateJoined: new Date(Number(row.joined_at)).toISOString(),
  };
}

export interface Paging {
  pageSize: number;
  pageNumber: number;
}

/** Genesys's listing envelope around one page of entities. */
export function listing<T>(entities: T[], total: number, paging: Paging, base: string) {
  const pageCount = Math.max(1, Math.ceil(total / paging.pageSize));
  return {
    entities,
    pageSize: paging.pageSize,
    pageNumber: paging.pageNumber,
    total,
    pageCount,
    selfUri: `${base}?pageNumber=${paging.pageNumber}&pageSize=${paging.pageSize}`,
  };
}
