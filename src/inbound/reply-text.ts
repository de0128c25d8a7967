// The words a customer added on top of a reply: quoted history and signature removed, so
// the agent's queue shows what is new. Never throws and never returns an empty text for a
// message that had content: an agent must see something, even if it is the whole body.
//
// Plain text: email-reply-parser (Crisp's typed ESM port of EmailReplyParser), pinned to 2.3.7
// because 2.3.9 only raises `engines` to Node 22 and we run on 20. HTML-only mail: html-to-text
// (already here through mailparser) renders blockquotes as "> " lines for the same parser;
// planer (talon's port) was passed over: it needs jsdom's XPath, returns HTML we would convert
// anyway, and is CoffeeScript-built CommonJS last released in 2024.
import EmailReplyParser from 'email-reply-parser';
import type { FormatCallback, HtmlToTextOptions } from 'html-to-text';
import { convert } from 'html-to-text';

export type ReplyTextMethod = 'text' | 'html' | 'text-fallback' | 'html-fallback' | 'empty';

export interface ReplyText {
  text: string;
  /** Which body was read and whether the parser found the reply in it (`*-fallback`: it did not). */
  method: ReplyTextMethod;
}

// The parser's quote-header regexes run over the whole body and some backtrack badly on very
// long input; what the customer typed is at the top, so the tail is never needed.
const MAX_PARSED_CHARS = 64 * 1024;
// The same reasoning for the markup: only its head is rendered. htmlparser2 reads the whole
// input before html-to-text's own limits apply (callers keep too deep nesting away, prepare.ts).
const MAX_HTML_CHARS = 128 * 1024;
// mailparser's own limit: html-to-text recurses per element and overflows the stack near 2000.
const MAX_HTML_DEPTH = 1000;

// Outlook's text part separates the quoted message with a line of 32 underscores, which the
// parser knows; Outlook and Hotmail put an <hr> in the same place of their HTML.
const outlookSeparator: FormatCallback = (_elem, _walk, builder) => {
  builder.openBlock({ leadingLineBreaks: 1 });
  builder.addLiteral('_'.repeat(32));
  builder.closeBlock({ trailingLineBreaks: 1 });
};

const HTML_OPTIONS: HtmlToTextOptions = {
  // The parser reads line by line, so lines stay as the customer wrote them.
  wordwrap: false,
  formatters: { outlookSeparator },
  selectors: [
    { selector: 'hr', format: 'outlookSeparator' },
    // Inline images and tracking pixels are not words; their alt text and URLs are noise.
    { selector: 'img', format: 'skip' },
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
  ],
  limits: { maxDepth: MAX_HTML_DEPTH },
};

export function extractReplyText({ text, html }: { text: string | null; html: string | null }): ReplyText {
  const plain = normalize(text ?? '');
  if (plain.trim() !== '') return extract(plain, 'text');
  const rendered = htmlToText(html ?? '');
  // Markup html-to-text could not render is still better shown raw than lost.
  if (rendered === null) return { text: (html ?? '').trim(), method: 'html-fallback' };
  if (rendered.trim() !== '') return extract(normalize(rendered), 'html');
  return { text: '', method: 'empty' };
}

function extract(body: string, source: 'text' | 'html'): ReplyText {
  const visible = visibleText(body);
  if (visible !== '') return { text: visible, method: source };
  return { text: body.trim(), method: `${source}-fallback` };
}

function visibleText(body: string): string {
  try {
    return new EmailReplyParser().parseReply(body.slice(0, MAX_PARSED_CHARS)).trim();
  } catch {
    return '';
  }
}

function htmlToText(html: string): string | null {
  if (html.trim() === '') return '';
  try {
    return convert(html.slice(0, MAX_HTML_CHARS), HTML_OPTIONS);
  } catch {
    return null;
  }
}

// Mail arrives with CRLF (or, rarely, bare CR) line ends; the parser splits on LF only.
function normalize(body: string): string {
  return body.replace(/\r\n?/g, '\n');
}
