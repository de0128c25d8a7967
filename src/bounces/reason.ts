// Why a delivery failed, in Sisimai's vocabulary (sisimai.libsisimai.org, "Bounce Reason List"),
// and whether that makes the address hard (never mail it again) or soft (it may work later).
//
// Hard, as in Sisimai: only when the address itself does not exist —
//   userunknown (the local part does not exist: 5.1.1, "user unknown", "no such mailbox"),
//   hostunknown (the domain does not exist or has no mail host: 5.1.2, "domain not found"),
//   hasmoved    (the mailbox moved and is not forwarded: 5.1.6, "has moved"),
//   notaccept   (the domain accepts no mail at all, e.g. a null MX: 5.1.10 / 556), when permanent.
// Everything else is soft: mailboxfull, mesgtoobig, exceedlimit, suspend (disabled account),
// blocked / spamdetected / policyviolation / securityerror / norelaying (the sender or the
// content was refused, not the address), toomanyconn (rate limits), expired, networkerror,
// systemerror, contenterror, filtered, and undefined (nothing recognisable: never suppress on a
// guess). A temporary failure (4.x.x, or a delay) is soft whatever its reason.

export type BounceClass = 'hard' | 'soft';

export type BounceReason =
  | 'userunknown'
  | 'hostunknown'
  | 'hasmoved'
  | 'notaccept'
  | 'mailboxfull'
  | 'mesgtoobig'
  | 'exceedlimit'
  | 'suspend'
  | 'spamdetected'
  | 'blocked'
  | 'policyviolation'
  | 'securityerror'
  | 'norelaying'
  | 'toomanyconn'
  | 'expired'
  | 'networkerror'
  | 'systemerror'
  | 'contenterror'
  | 'filtered'
  | 'undefined';

const HARD = new Set<BounceReason>(['userunknown', 'hostunknown', 'hasmoved', 'notaccept']);

// Text patterns, tried in order: what the receiving server said is more specific than a generic
// status code (5.0.0, 5.5.0). Refusals of the sender or the content come before the "address
// rejected" family, because MTAs word policy refusals as "Recipient address rejected: <policy>".
const TEXT: Array<[BounceReason, RegExp]> = [
  [
    'mailboxfull',
    /mailbox (?:is )?full|mailbox full|over ?quota|quota (?:usage )?(?:exceeded|full)|exceeded (?:its|the) (?:storage|quota)|mailbox (?:size )?exceeds|exceeds allowed size|insufficient (?:system )?storage|disk quota|mailbox size limit|espacio en casilla/i,
  ],
  ['mesgtoobig', /message (?:is )?too (?:large|big)|message size exceeds|size limit exceeded|exceeds (?:the )?(?:maximum )?(?:message )?size|mail size limit|message length exceeds/i],
  ['hasmoved', /has moved|no longer on (?:this )?server|has been replaced by/i],
  ['suspend', /(?:account|mailbox|user)(?: has been| is)? (?:disabled|suspended|inactive|deactivated|locked)/i],
  ['contenterror', /\bvirus/i],
  ['spamdetected', /spam|bulk (?:e-?mail|mail)|junk mail|mta-blocked/i],
  ['securityerror', /\bspf\b|sender policy framework|\bdmarc\b|\bdkim\b|authenticat/i],
  ['blocked', /blacklist|blocklist|block ?list|blocked|\brbl\b|spamhaus|reputation|banned|denied by policy|rejected by policy/i],
  ['norelaying', /relay(?:ing)? (?:access )?(?:denied|not permitted|prohibited)|unable to relay|not permitted to relay/i],
  ['toomanyconn', /too many|rate limit|try again later|greylist/i],
  ['policyviolation', /\bpolicy\b|not allowed|prohibited/i],
  [
    'hostunknown',
    /host (?:unknown|not found)|unknown host|domain (?:name )?not found|no such domain|unrouteable|domain does not exist|name or service not known|host or domain name not found|no mx|dns error|domain (?:is )?invalid|invalid domain/i,
  ],
  ['notaccept', /does not accept (?:e-?)?mail|accepts no mail|null mx/i],
  [
    'userunknown',
    /user(?:name)? (?:unknown|not found|does not exist|doesn'?t exist)|unknown (?:user|recipient|local|address|mailbox)|no such (?:user|recipient|mailbox|address|account|person)|no mailbox|mailbox (?:not found|unavailable|does not exist|doesn'?t exist|not available)|recipient(?: address)? rejected|recipient (?:name )?(?:is )?not (?:found|recogni[sz]ed|valid|exist)|recip(?:ient)?notfound|invalid (?:recipient|mailbox|address|user)|not a (?:valid|registered) (?:\w+ )?(?:user|mailbox|recipient|address)|address (?:unknown|rejected|does not exist|not found)|unknown (?:e-?mail )?address|nosuchuser|does not exist|doesn'?t exist|not listed in|ディレクトリには見つかりません|no longer exists|addressee unknown|bad destination mailbox|unknown or illegal alias|wasn.?t found at the destination|possibly incorrect|user not listed/i,
  ],
  ['expired', /delivery time expired|retry time|could not be delivered for|cannot send message for|given up|failed \d+ attempts|been failing for a long time|too long/i],
  ['networkerror', /connection (?:refused|timed out|reset)|no route to host|timed? ?out|network|name server|name service error/i],
  ['contenterror', /header|content rejected|malformed|syntax/i],
  ['systemerror', /service (?:currently |temporarily )?unavailable|system error|internal error|local error|temporar|mailer error|not available/i],
];

// Status codes (RFC 3463) when the text says nothing recognisable: subject.detail.
const STATUS: Record<string, BounceReason> = {
  '1.1': 'userunknown',
  '1.2': 'hostunknown',
  '1.3': 'userunknown',
  '1.6': 'hasmoved',
  '1.10': 'notaccept',
  '2.1': 'suspend',
  '2.2': 'mailboxfull',
  '2.3': 'mesgtoobig',
  '2.4': 'systemerror',
  '3.4': 'mesgtoobig',
  '4.4': 'hostunknown',
  '4.7': 'expired',
  '7.1': 'blocked',
};
const STATUS_SUBJECT: Record<string, BounceReason> = {
  '2': 'mailboxfull',
  '3': 'systemerror',
  '4': 'networkerror',
  '5': 'systemerror',
  '6': 'contenterror',
  '7': 'securityerror',
};

/** An RFC 3463 status code (x.y.z) inside `text`, or null. */
export function statusIn(text: string): string | null {
  return /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(text)?.slice(1, 4).join('.') ?? null;
}

export interface Verdict {
  reason: BounceReason;
  class: BounceClass;
}

/**
 * The reason and class of one recipient's failure. `temporary` is true for a delay or a 4.x.x
 * status: soft whatever the reason, since the receiving side itself says it may still work.
 */
export function classify(status: string | null, diagnostic: string | null, temporary = false): Verdict {
  const text = diagnostic ?? '';
  let reason: BounceReason = TEXT.find(([, re]) => re.test(text))?.[0] ?? 'undefined';
  if (reason === 'undefined' && status) {
    const [, subject, detail] = status.split('.');
    reason = STATUS[`${subject}.${detail}`] ?? STATUS_SUBJECT[subject ?? ''] ?? 'undefined';
  }
  const permanent = !temporary && !status?.startsWith('4');
  return { reason, class: permanent && HARD.has(reason) ? 'hard' : 'soft' };
}
