import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let prepared = false;

/**
 * n8n-core keeps its settings file and binary data in N8N_USER_FOLDER (by default ~/.n8n) and
 * reads it once, when first loaded. The demo points it at a throwaway folder, removed when the
 * process ends, so it never touches a real n8n installation. Call this before loading n8n-core.
 * Under jest the test setup has already done the same.
 */
export function prepareN8nEnvironment(): void {
	if (prepared || process.env.N8N_USER_FOLDER) return;
	prepared = true;
	const folder = mkdtempSync(join(tmpdir(), 'payroll-mail-demo-'));
	process.env.N8N_USER_FOLDER = folder;
	process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS ??= 'false';
	// Failed items are the demo's subject, not log noise: the summary reports them.
	process.env.N8N_LOG_LEVEL ??= 'silent';
	process.once('exit', () => rmSync(folder, { recursive: true, force: true }));
}
