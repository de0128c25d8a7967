import { PERMISSIONS as P } from '../auth/permissions.js';

/**
 * Holding any of these makes a user an administrator of the console: the Administration area
 * and its link are theirs. Each administration page still asks for the permission its API
 * route asks for.
 */
export const ADMIN_AREA: string[] = [
  P.orgAdmin,
  P.userAdd,
  P.queueEdit,
  P.queueMemberManage,
  P.clientEdit,
  P.routingEmailManage,
  P.webhookEdit,
  P.suppressionEdit,
  P.outboundTemplateEdit,
  P.outboundConfigurationEdit,
];
