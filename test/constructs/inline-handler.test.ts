import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleHandler } from '../../lib/constructs/inline-handler';
import { HANDLER_RUNTIME } from '../../lib/constructs/secret-store';
import { toYaml } from '../../lib/release/publish';
import { sha256Of, unpackCommand } from '../../lib/shared/packed-text';
import { template } from '../support/console-template';

describe('secret store', () => {
  test('the handler the template inlines is the bundle, byte for byte: the documented command reads it back', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'handler-'));
    try {
      const file = path.join(dir, 'template.yaml');
      fs.writeFileSync(file, toYaml(template));
      const unpacked = execFileSync('bash', ['-c', unpackCommand('handler', JSON.stringify(file))], { encoding: 'utf8' });
      // The console's build: its stacks' tokens are never staged.
      expect(unpacked).toBe(bundleHandler('secret-store', HANDLER_RUNTIME, { STAGED_TOKENS: false }));
      expect(template.Resources.SecretsHandler921AA853.Properties.Code.ZipFile).toContain(`SHA-256 ${sha256Of(unpacked)}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
