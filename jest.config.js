/** @type {import('jest').Config} */
module.exports = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	testTimeout: 60_000,
	// Points N8N_USER_FOLDER at a temp folder before any test file can import n8n-core.
	setupFilesAfterEnv: ['<rootDir>/test/harness/userFolder.setup.ts'],
	// The engine and SMTP tests each start servers on loopback; two workers suit the 2-core CI.
	maxWorkers: 2,
};
