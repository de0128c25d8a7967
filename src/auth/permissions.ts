// Genesys-style permission strings, `domain:entity:action`; a `*` in any part matches all.
import { AppError } from '../errors.js';

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
  /** Raise or lower the organization's agentless send limit: apart from orgAdmin, so that running an organization does not mean choosing its own quota. */
  orgLimitsEdit: 'directory:organizationLimits:edit',
  userAdd: 'directory:user:add',
  userView: 'directory:user:view',
  userDelete: 'directory:user:delete',
  /** Rename a user or replace their permissions (only a user whose permissions the caller holds). */
  userEdit: 'directory:user:edit',
  /** Set another user's password (an administrator's reset; only a user whose permissions the caller holds). */
  userSetPassword: 'directory:user:setPassword',
  queueMemberManage: 'routing:queueMember:manage',
  /** Read the organization's wrap-up codes. */
  wrapupCodeView: 'routing:wrapupCode:view',
  /** Add, rename and delete wrap-up codes (a queue's list of them is queue editing). */
  wrapupCodeEdit: 'routing:wrapupCode:edit',
  /** Pull work items from one's queues and act on the ones one holds (extend, decline, transfer, complete). */
  workItemPull: 'acd:workitem:pull',
  /** Read any work item of the organization (supervisors). */
  workItemView: 'acd:workitem:view',
  queueStatsView: 'analytics:queueObservation:view',
  /** Search and read every message of the organization in the console's Interactions (supervisors; as Genesys's Performance > Workspace > Interactions). */
  conversationDetailView: 'analytics:conversationDetail:view',
  /** Read the organization's suppression list. */
  suppressionView: 'email:suppression:view',
  /** Add and remove suppression list entries (mailing an address again is a decision). */
  suppressionEdit: 'email:suppression:edit',
  /** Read the organization's event log (GET /api/v2/events). */
  eventsView: 'events:event:view',
  /** Read the organization's webhook subscriptions and their delivery attempts. */
  webhookView: 'webhooks:subscription:view',
  /** Add, change, rotate, replay and remove webhook subscriptions. */
  webhookEdit: 'webhooks:subscription:edit',
  outboundTemplateView: 'outbound:template:view',
  outboundTemplateEdit: 'outbound:template:edit',
  outboundConfigurationView: 'outbound:configuration:view',
  outboundConfigurationEdit: 'outbound:configuration:edit',
  /** Send a configuration's template to a contact list (a back-end event, a person by hand, a schedule). */
  outboundConfigurationInvoke: 'outbound:configuration:invoke',
  outboundScheduleView: 'outbound:schedule:view',
  /** Create and cancel schedules: sends at a later time, as an invocation would now. */
  outboundScheduleEdit: 'outbound:schedule:edit',
} as const;

export const ALL_PERMISSIONS: string[] = Object.values(PERMISSIONS);
export const ADMIN_PERMISSIONS = ['*:*:*'];
/** What a new user (agent) may do unless created with other permissions. */
export const AGENT_PERMISSIONS: string[] = [PERMISSIONS.emailView, PERMISSIONS.emailReply, PERMISSIONS.queueView, PERMISSIONS.workItemPull];

const PERMISSION_RE = /^[A-Za-z*]+:[A-Za-z*]+:[A-Za-z*]+$/;

export function isPermissionString(p: string): boolean {
  return PERMISSION_RE.test(p);
}

// A `*` in `wanted` is matched only by a `*` in `granted`: holding routing:queue:view does not
// cover routing:queue:*.
function matches(granted: string, wanted: string): boolean {
  const g = granted.split(':');
  const w = wanted.split(':');
  return g.length === 3 && w.length === 3 && w.every((part, i) => g[i] === '*' || g[i] === part);
}

/** True when any granted permission covers any one of the wanted ones. */
export function hasAnyPermission(granted: readonly string[], wanted: readonly string[]): boolean {
  return wanted.some((w) => granted.some((g) => matches(g, w)));
}

/** The requested permissions that `granted` does not cover: what a grantor may not hand out. */
export function notHeld(granted: readonly string[], requested: readonly string[]): string[] {
  return requested.filter((r) => !granted.some((g) => matches(g, r)));
}

/**
 * The permissions both sides hold, as patterns: each pair's common part (`*` yields to the
 * other side's word; two different words have nothing in common). A token of the password
 * grant gets the intersection of its user's and its client's.
 */
export function intersectPermissions(a: readonly string[], b: readonly string[]): string[] {
  const out = new Set<string>();
  for (const x of a) {
    for (const y of b) {
      const xs = x.split(':');
      const ys = y.split(':');
      if (xs.length !== 3 || ys.length !== 3) continue;
      const parts = xs.map((p, i) => (p === '*' ? ys[i]! : ys[i] === '*' || ys[i] === p ? p : null));
      if (parts.every((p) => p !== null)) out.add(parts.join(':'));
    }
  }
  return [...out];
}

/** Nobody hands out a permission they do not hold: a 403 naming the first one missing. */
export function checkGrantable(grantor: readonly string[], requested: readonly string[]): void {
  const missing = notHeld(grantor, requested);
  if (missing.length === 0) return;
  throw new AppError(403, 'missing.any.permissions', `The caller cannot grant ${missing.join(', ')}: it does not hold ${missing.length === 1 ? 'it' : 'them'} itself.`, [
    { errorCode: 'permission.not.held', fieldName: 'permissions', entityName: missing[0]! },
  ]);
}
