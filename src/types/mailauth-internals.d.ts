// mailauth's DKIM canonicalization, used by src/mail/dkim.ts to sign with a key parsed once.
// These modules have no type declarations of their own; mailauth is pinned to 4.13.x.
declare module 'mailauth/lib/tools.js' {
  interface ParsedHeader {
    key: string;
    casedKey: string;
    line: Buffer;
  }
  const tools: {
    parseHeaders(buf: Buffer): { parsed: ParsedHeader[]; original: Buffer };
    getSigningHeaderLines(parsed: ParsedHeader[], fieldNames: string, verify: boolean): { keys: string; headers: ParsedHeader[] };
    formatSignatureHeaderLine(type: 'DKIM' | 'ARC' | 'AS', values: Record<string, unknown>, folded: boolean): string;
  };
  export default tools;
}
declare module 'mailauth/lib/dkim/header/relaxed.js' {
  const m: {
    relaxedHeaders(
      type: 'DKIM',
      signingHeaderLines: { keys: string; headers: unknown[] },
      options: { signingDomain: string; selector: string; algorithm: string; canonicalization: string; bodyHash: string; signTime?: Date },
    ): { canonicalizedHeader: Buffer; dkimHeaderOpts: Record<string, unknown> };
  };
  export default m;
}
declare module 'mailauth/lib/dkim/body/relaxed.js' {
  const m: {
    RelaxedHash: new (algorithm: string) => { update(chunk: Buffer): void; digest(encoding: 'base64'): string };
  };
  export default m;
}
