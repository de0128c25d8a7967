// Messages built to hold up or break the inbound path, as seen in the wild and in issue reports:
// markup nested a million levels deep, and mail no parser should try to read to the end.

/** A header block (CRLF line ends, no empty line after it) from name → value pairs. */
const head = (headers: Record<string, string>) =>
  Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');

/** An HTML-only message of about 11 MB: a million nested <div>s around one word. */
export function nestedDivs(headers: Record<string, string>, depth = 1_000_000): string {
  return `${head(headers)}MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n${'<div>'.repeat(depth)}hello${'</div>'.repeat(depth)}\r\n`;
}

/** 2,000 multiparts, each the only part of the one before. */
export function nestedMultiparts(headers: Record<string, string>): string {
  let body = '';
  for (let i = 0; i < 2000; i++) body += `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`;
  return `${head(headers)}MIME-Version: 1.0\r\n${body}Content-Type: text/plain\r\n\r\nhello\r\n`;
}

/** One header line of 1 MiB. */
export function longHeaderLine(headers: Record<string, string>): string {
  return `${head(headers)}X-Long: ${'a'.repeat(1024 * 1024)}\r\n\r\nhello\r\n`;
}

/** 100,000 header lines. */
export function manyHeaderLines(headers: Record<string, string>): string {
  return `${head(headers)}${'X-Line: a\r\n'.repeat(100_000)}\r\nhello\r\n`;
}
