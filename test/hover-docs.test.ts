/**
 * The top-level functions are typed as the methods of `Registry`: in the built .d.ts an
 * editor shows the same docs and overloads on `reserve` as on `openRegistry().reserve`
 * (the JSDoc lives once, on the interface).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ROOT, tempHome, useBuiltBin } from './helpers.js';

// A private copy of dist/ (a build elsewhere empties dist/ first).
const bin = useBuiltBin();

/** Quick info at the character after each of `marks` in `source`. */
function hover(source: string, marks: string[]): Array<{ signature: string; docs: string; tags: string[] }> {
  const file = join(tempHome(), 'use.ts');
  writeFileSync(file, source);
  const host: ts.LanguageServiceHost = {
    getScriptFileNames: () => [file],
    getScriptVersion: () => '1',
    getScriptSnapshot: (name) => (ts.sys.fileExists(name) ? ts.ScriptSnapshot.fromString(ts.sys.readFile(name) ?? '') : undefined),
    getCurrentDirectory: () => ROOT,
    getCompilationSettings: () => ({ strict: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext }),
    getDefaultLibFileName: (options) => ts.getDefaultLibFilePath(options),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    directoryExists: ts.sys.directoryExists,
  };
  const service = ts.createLanguageService(host);
  return marks.map((mark) => {
    const info = service.getQuickInfoAtPosition(file, source.indexOf(mark) + mark.length);
    if (info === undefined) throw new Error(`no quick info after ${mark}`);
    return {
      signature: ts.displayPartsToString(info.displayParts).replace(/^\(\w+\) (Registry\.)?/, ''),
      docs: ts.displayPartsToString(info.documentation),
      tags: (info.tags ?? []).map((tag) => tag.name),
    };
  });
}

describe('the built types', () => {
  it.each(['reserve', 'reserveAll', 'release', 'renew', 'list', 'withPort', 'inspect'])('%s shows the docs and overloads of its Registry method', (name) => {
    const entry = JSON.stringify(join(dirname(dirname(bin())), 'index.js'));
    const source = `import { ${name}, openRegistry } from ${entry};\n${name}();\nopenRegistry().${name}();\n`;
    const [onTop, onMethod] = hover(source, ['\n', 'openRegistry().']);
    expect(onTop!.docs.length).toBeGreaterThan(40);
    expect(onTop!.tags).toContain('example');
    expect(onTop!.docs).toBe(onMethod!.docs);
    // Same parameters and overload count: `(alias) top(…) (+1 overload)` vs `Registry.reserve(…) (+1 overload)`.
    const shape = (signature: string) => signature.replace(/\nimport \w+$/, '');
    expect(shape(onTop!.signature)).toBe(shape(onMethod!.signature));
  });
});
