import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';

// The gates `pnpm test` runs (prettier --check, type-aware lint, the layering rules), each shown failing on
// code that breaks it, so a gate that silently stopped checking would fail here.
const root = fileURLToPath(new URL('../..', import.meta.url));
// The fixtures are linted from memory, as if they stood in those packages: the project service is told of them.
const fixture = ['packages/*/src/gate-fixture.ts', 'services/*/src/gate-fixture.ts'];
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    files: ['**/gate-fixture.ts'],
    languageOptions: { parserOptions: { projectService: { allowDefaultProject: fixture } } },
  },
});

async function lintAs(path: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath: `${root}${path}` });
  const messages = result?.messages ?? [];
  expect(messages.filter((m) => m.fatal)).toEqual([]);
  return messages.map((m) => m.ruleId);
}

describe('the gates of pnpm test', () => {
  it('refuse unformatted code (Prettier, 120 columns)', async () => {
    const options = { ...(await prettier.resolveConfig(`${root}packages/domain/src/x.ts`)), filepath: 'x.ts' };
    expect(options.printWidth).toBe(120);
    expect(await prettier.check('export const a = {b:1,\n   c:  2}\n', options)).toBe(false);
    expect(await prettier.check('export const a = { b: 1, c: 2 };\n', options)).toBe(true);
  });

  it('refuse a floating promise and a promise where a plain callback is expected', async () => {
    const code = [
      'export async function page(): Promise<void> {}',
      'export function fire(): void {',
      '  page();',
      '  [1].forEach(async () => page());',
      '  if (page()) return;',
      '}',
      '',
    ].join('\n');
    expect(await lintAs('packages/domain/src/gate-fixture.ts', code)).toEqual(
      expect.arrayContaining(['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises']),
    );
    expect(
      await lintAs(
        'packages/domain/src/gate-fixture.ts',
        'export async function page(): Promise<void> {}\nexport const fire = () => void page();\n',
      ),
    ).toEqual([]);
  });

  it('refuse an import that breaks the layering', async () => {
    const restricted = ['no-restricted-imports'];
    expect(
      await lintAs('packages/domain/src/gate-fixture.ts', "export { createEventStore } from '@klaxon/event-store';\n"),
    ).toEqual(restricted);
    expect(
      await lintAs('packages/domain/src/gate-fixture.ts', "export { readFile } from 'node:fs/promises';\n"),
    ).toEqual(restricted);
    expect(await lintAs('packages/bus/src/gate-fixture.ts', "export * from '@klaxon/escalation';\n")).toEqual(
      restricted,
    );
    expect(await lintAs('services/ingest/src/gate-fixture.ts', "export * from '@klaxon/escalation';\n")).toEqual(
      restricted,
    );
    expect(
      await lintAs('services/projection/src/gate-fixture.ts', "export * from '../../escalation/src/index.ts';\n"),
    ).toEqual(restricted);
    // What the layering allows: a service on the domain, a package on the service kit.
    expect(await lintAs('services/ingest/src/gate-fixture.ts', "export { alertsIn } from '@klaxon/domain';\n")).toEqual(
      [],
    );
  });
});
