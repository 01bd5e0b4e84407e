/**
 * Jest `setupFilesAfterEnv` entry: runs in every test file before the file imports anything,
 * so n8n-core's InstanceSettings and binary-data storage (both read N8N_USER_FOLDER when first
 * constructed) live in a throwaway folder instead of the developer's ~/.n8n.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const userFolder = mkdtempSync(join(tmpdir(), 'n8n-harness-'));
process.env.N8N_USER_FOLDER = userFolder;
// The settings file is created fresh with the right mode; checking it only adds log noise.
process.env.N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS = 'false';
// n8n logs every node error at "error" level; the tests assert on errors themselves.
process.env.N8N_LOG_LEVEL ??= 'silent';

afterAll(() => rmSync(userFolder, { recursive: true, force: true }));
