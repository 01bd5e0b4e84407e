/**
 * Imported first by every bench entry point: n8n-core reads N8N_USER_FOLDER (settings, binary
 * data) when first constructed, so it must point at a throwaway folder before n8n-core loads,
 * as test/harness/userFolder.setup.ts does for jest.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const userFolder = mkdtempSync(join(tmpdir(), 'payroll-mail-bench-'));
process.env.N8N_USER_FOLDER = userFolder;
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS = 'false';
process.env.N8N_LOG_LEVEL ??= 'silent';

let removed = false;
/** Removes the user folder and every binary file the runs stored in it. */
export function removeUserFolder(): void {
	if (removed) return;
	removed = true;
	rmSync(userFolder, { recursive: true, force: true });
}
process.once('exit', removeUserFolder);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	process.once(signal, () => {
		removeUserFolder();
		process.exit(130);
	});
}
