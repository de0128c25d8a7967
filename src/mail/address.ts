// Address rules for what threadline sends. Deliberately narrower than RFC 5322: a quoted
// local part or an address literal is legal but no transactional sender needs one, and each
// is a classic way to smuggle routing through an MTA.

export const LIMITS = {
  localPart: 64,
  domain: 253,
  displayName: 64,
  subject: 400,
  /** Genesys: 3 MB of body (text and HTML together). */
  bodyBytes: 3 * 1024 * 1024,
  headerLine: 998,
} as const;

const ATEXT = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Returns null when the address is acceptable, otherwise why not. */
export function addressProblem(email: string): string | null {
  if (CONTROL.test(email)) return 'must not contain control characters such as CR or LF';
  const at = email.lastIndexOf('@');
  if (at <= 0 || at === email.length - 1) return 'must be an address like name@example.com';
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > LIMITS.localPart) return `local part is ${local.length} characters; at most ${LIMITS.localPart} are allowed`;
  if (domain.length > LIMITS.domain) return `domain is ${domain.length} characters; at most ${LIMITS.domain} are allowed`;
  if (local.startsWith('"')) return 'quoted local parts are not accepted';
  if (!ATEXT.test(local)) return 'local part has characters that are not allowed';
  // `user%host@relay` and `host!user@relay` are source-routing relics some MTAs still honour.
  if (/[%!]/.test(local)) return 'local part must not contain % or ! (source routing is not accepted)';
  if (domain.startsWith('[')) return 'address literals are not accepted; use a domain name';
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l))) return 'domain is not a valid domain name';
  return null;
}

export function displayNameProblem(name: string): string | null {
  if (CONTROL.test(name)) return 'must not contain control characters such as CR or LF';
  if ([...name].length > LIMITS.displayName) return `is ${[...name].length} characters; at most ${LIMITS.displayName} are allowed`;
  return null;
}

/** The one spelling of an address under which users are stored and looked up (and throttled). */
export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}
