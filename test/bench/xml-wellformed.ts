// A strict XML well-formedness check for the tests of hand-written SVG (no XML parser is a
// dependency): one root element, tags nested and closed in order, names well formed, attributes
// quoted and unique per element, '<' and '&' only as markup or entity references, comments and
// an XML declaration where XML allows them. Returns the problems found (empty: well formed) and
// the element names with their attributes in document order.

export interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  /** Text directly inside the element (entities decoded). */
  text: string;
}

const NAME = /^[A-Za-z_][\w.:-]*$/;
const ENTITY = /&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;

function decode(s: string): string {
  return s.replace(ENTITY, (e) => {
    const named: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&apos;': "'" };
    if (named[e]) return named[e];
    return String.fromCodePoint(e[2] === 'x' ? Number.parseInt(e.slice(3, -1), 16) : Number(e.slice(2, -1)));
  });
}

function badAmpersand(s: string): boolean {
  return s.replace(ENTITY, '').includes('&');
}

export function checkXml(doc: string): { problems: string[]; elements: XmlElement[] } {
  const problems: string[] = [];
  const elements: XmlElement[] = [];
  const stack: XmlElement[] = [];
  let roots = 0;
  let i = 0;
  if (doc.startsWith('<?xml')) {
    const end = doc.indexOf('?>');
    if (end < 0) return { problems: ['unterminated XML declaration'], elements };
    i = end + 2;
  }
  while (i < doc.length) {
    const lt = doc.indexOf('<', i);
    const text = doc.slice(i, lt < 0 ? doc.length : lt);
    if (badAmpersand(text)) problems.push(`bare '&' in text near offset ${i}`);
    if (text.includes('>')) problems.push(`'>' in text near offset ${i}`);
    if (text.trim()) {
      if (!stack.length) problems.push(`text outside the root element near offset ${i}`);
      else stack[stack.length - 1]!.text += decode(text);
    }
    if (lt < 0) break;
    if (doc.startsWith('<!--', lt)) {
      const end = doc.indexOf('-->', lt + 4);
      if (end < 0) return { problems: [...problems, 'unterminated comment'], elements };
      i = end + 3;
      continue;
    }
    if (doc.startsWith('<?', lt) || doc.startsWith('<!', lt)) {
      problems.push(`processing instruction or declaration not allowed here, offset ${lt}`);
      i = doc.indexOf('>', lt) + 1 || doc.length;
      continue;
    }
    const gt = doc.indexOf('>', lt);
    if (gt < 0) return { problems: [...problems, `unterminated tag at offset ${lt}`], elements };
    const tag = doc.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith('/')) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (!open) problems.push(`closing </${name}> without an open element`);
      else if (open.name !== name) problems.push(`</${name}> closes <${open.name}>`);
      continue;
    }
    const selfClosing = tag.endsWith('/');
    const body = selfClosing ? tag.slice(0, -1) : tag;
    const name = body.match(/^[^\s]+/)?.[0] ?? '';
    if (!NAME.test(name)) problems.push(`bad element name '${name}' at offset ${lt}`);
    const attributes: Record<string, string> = {};
    let rest = body.slice(name.length);
    const attr = /^\s+([^\s=]+)\s*=\s*("([^"<]*)"|'([^'<]*)')/;
    for (let m = attr.exec(rest); m; m = attr.exec(rest)) {
      const [whole, key, , dq, sq] = m;
      const value = dq ?? sq ?? '';
      if (!NAME.test(key!)) problems.push(`bad attribute name '${key}' in <${name}>`);
      if (key! in attributes) problems.push(`attribute '${key}' twice in <${name}>`);
      if (badAmpersand(value)) problems.push(`bare '&' in attribute '${key}' of <${name}>`);
      attributes[key!] = decode(value);
      rest = rest.slice(whole.length);
    }
    if (rest.trim()) problems.push(`cannot read the attributes of <${name}>: '${rest.trim().slice(0, 40)}'`);
    const el: XmlElement = { name, attributes, text: '' };
    if (!stack.length) roots++;
    elements.push(el);
    if (!selfClosing) stack.push(el);
  }
  if (stack.length) problems.push(`unclosed elements: ${stack.map((e) => e.name).join(', ')}`);
  if (roots !== 1) problems.push(`expected one root element, found ${roots}`);
  return { problems, elements };
}
