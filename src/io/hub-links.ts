/** Reading the Hub's `Link` pagination headers, and header values fit for a message. */

/** A header value for a message: bounded, on one line. */
export function quoted(value: string): string {
  const flat = value.replace(/[\u0000-\u001f\u007f]/g, "?");
  return JSON.stringify(flat.length > 200 ? `${flat.slice(0, 200)}…` : flat);
}

/** Every `<target>` of a `Link` header whose `rel` includes "next". */
export function nextLinkTargets(header: string | null): string[] {
  if (header === null) return [];
  const out: string[] = [];
  const re = /<([^>]*)>([^<]*)/g;
  for (let m = re.exec(header); m !== null; m = re.exec(header)) {
    const rel = /;\s*rel\s*=\s*(?:"([^"]*)"|([^\s;,]+))/i.exec(m[2] ?? "");
    const rels = (rel?.[1] ?? rel?.[2] ?? "").toLowerCase().split(/\s+/);
    if (rels.includes("next")) out.push(m[1] ?? "");
  }
  return out;
}

export function samePath(a: URL, b: URL): boolean {
  const decode = (p: string) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  };
  return decode(a.pathname) === decode(b.pathname);
}
