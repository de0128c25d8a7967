interface Operation {
  description?: string;
  'x-permissions'?: string[];
  'x-max-body-bytes'?: number;
}

/**
 * Writes each operation's permission and body limit (declared with `permit`) into its
 * description too, where the interactive reference shows them.
 */
export function describeAccess<D extends { paths?: object }>(doc: D): D {
  for (const item of Object.values(doc.paths ?? {}) as object[]) {
    for (const op of Object.values(item) as Operation[]) {
      if (typeof op !== 'object' || op === null) continue;
      const notes: string[] = [];
      const perms = op['x-permissions'];
      if (perms) notes.push(perms.length === 0 ? '**Permission:** any valid token.' : `**Permission:** ${perms.map((p) => `\`${p}\``).join(' or ')}.`);
      if (op['x-max-body-bytes'] !== undefined) notes.push(`**Largest body:** ${op['x-max-body-bytes']} bytes (413 past it).`);
      if (notes.length > 0) op.description = [op.description, notes.join(' ')].filter(Boolean).join('\n\n');
    }
  }
  return doc;
}
