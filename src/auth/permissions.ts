// Genesys-style permission strings, `domain:entity:action`; a `*` in any part matches all.

export const PERMISSIONS = {
  agentlessSend: 'conversation:agentlessEmail:send',
  emailCreate: 'conversation:email:create',
  emailView: 'conversation:email:view',
  /** Answer in an existing conversation (an agent's reply), without sending new agentless mail. */
  emailReply: 'conversation:email:reply',
  routingEmailManage: 'routing:email:manage',
  queueView: 'routing:queue:view',
  queueEdit: 'routing:queue:edit',
  clientView: 'oauth:client:view',
  clientEdit: 'oauth:client:edit',
  orgView: 'directory:organization:view',
  orgAdmin: 'directory:organization:admin',
  userAdd: 'directory:user:add',
  userView: 'directory:user:view',
  userDelete: 'directory:user:delete',
  queueMemberManage: 'routing:queueMember:manage',
  /** Pull work items from one's queues and act on the ones one holds (extend, decline, transfer, complete). */
  workItemPull: 'acd:workitem:pull',
  /** Read any work item of the organization (supervisors). */
  workItemView: 'acd:workitem:view',
  queueStatsView: 'analytics:queueObservation:view',
} as const;

export const ALL_PERMISSIONS: string[] = Object.values(PERMISSIONS);
export const ADMIN_PERMISSIONS = ['*:*:*'];
/** What a new user (agent) may do unless created with other permissions. */
export const AGENT_PERMISSIONS: string[] = [PERMISSIONS.emailView, PERMISSIONS.emailReply, PERMISSIONS.queueView, PERMISSIONS.workItemPull];

const PERMISSION_RE = /^[A-Za-z*]+:[A-Za-z*]+:[A-Za-z*]+$/;

export function isPermissionString(p: string): boolean {
  return PERMISSION_RE.test(p);
}

function matches(granted: string, wanted: string): boolean {
  const g = granted.split(':');
  const w = wanted.split(':');
  return g.length === 3 && w.every((part, i) => g[i] === '*' || g[i] === part);
}

/** True when any granted permission covers any one of the wanted ones. */
export function hasAnyPermission(granted: readonly string[], wanted: readonly string[]): boolean {
  return wanted.some((w) => granted.some((g) => matches(g, w)));
}
