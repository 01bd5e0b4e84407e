/** @type {import('jest').Config} */
module.exports = {
	preset: 'ts-jest',
	testEnvironment: 'node',
	roots: ['<rootDir>/test'],
	testMatch: ['**/*.test.ts'],
	testTimeout: 60_000,
	// The engine and SMTP tests each start servers on loopback; two workers suit the 2-core CI.
	maxWorkers: 2,
};
