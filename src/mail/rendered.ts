// A composed message as it goes on the wire: compose.ts writes it, dkim.ts signs it. Kept apart
// from both so that neither imports the other.

/** A header field as it goes on the wire, folded, without its line break. */
export interface HeaderField {
  /** Lower case, for DKIM's field list. */
  name: string;
  line: string;
}

export interface Rendered {
  headers: HeaderField[];
  /** Everything after the blank line that ends the header. */
  body: string;
}
