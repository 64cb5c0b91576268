import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './klaxon-process.ts';

/** The README and every page of docs/: the documents a newcomer follows links through. */
const documents = [
  'README.md',
  ...readdirSync(join(REPO_ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** Markdown without its fenced code blocks and inline code, where brackets and `#` lines are not markdown. */
const prose = (markdown: string) =>
  markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  const withoutFences = markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');
  for (const [, heading] of withoutFences.matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = heading!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Every link target in a document's prose: [text](target) and ![alt](target), titles left off. */
const linksOf = (markdown: string) =>
  [...prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1]!);

const isExternal = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//');

function brokenLinks(document: string): string[] {
  const path = join(REPO_ROOT, document);
  const broken: string[] = [];
  for (const target of linksOf(readFileSync(path, 'utf8'))) {
    if (isExternal(target)) continue;
    const [file, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = file === '' ? path : join(dirname(path), decodeURIComponent(file));
    if (!existsSync(resolved)) {
      broken.push(`${target}: no file ${relative(REPO_ROOT, resolved)}`);
      continue;
    }
    if (
      anchor !== undefined &&
      resolved.endsWith('.md') &&
      !anchorsOf(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))
    ) {
      broken.push(`${target}: no heading #${anchor} in ${relative(REPO_ROOT, resolved)}`);
    }
  }
  return broken;
}

describe('the README and docs/ link only to what exists', () => {
  it('finds the documents and their links (the check below is not vacuous)', () => {
    expect(documents).toEqual(
      expect.arrayContaining(['README.md', 'docs/architecture.md', 'docs/http-api.md', 'docs/benchmarks.md']),
    );
    expect(
      linksOf(readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')).filter((t) => t.startsWith('docs/')).length,
    ).toBeGreaterThan(5);
  });

  it.each(documents)('every relative link of %s resolves, #anchors included', (document) => {
    expect(brokenLinks(document)).toEqual([]);
  });

  it('reads anchors as GitHub makes them', () => {
    expect([
      ...anchorsOf(
        '# Projection (`:8082`): KPIs\n## Operator CLI: `pnpm klaxon`\n## Bus\n## Bus\n```\n# not a heading\n```\n',
      ),
    ]).toEqual(['projection-8082-kpis', 'operator-cli-pnpm-klaxon', 'bus', 'bus-1']);
  });
});
