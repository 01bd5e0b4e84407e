import { configWithoutCloudSupport } from '@n8n/node-cli/eslint';

export default [
	...configWithoutCloudSupport,
	{
		rules: {
			// SMTP needs nodemailer at run time, so this package has a runtime dependency and is
			// for self-hosted n8n only (n8n Cloud installs no community node with dependencies).
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts'],
		rules: {
			// Kept from the Cloud rule set: waits go through an abortable sleep, never a bare timer,
			// so a cancelled execution stops at once.
			'@n8n/community-nodes/no-restricted-globals': 'error',
		},
	},
	{
		files: ['test/**/*.ts', 'tools/**/*.ts'],
		rules: {
			// Tests and tools (bench, real-n8n check) are not published with the package: they run openssl to make certificates, hold
			// made-up secrets to prove none leaks, and rethrow what they did not expect.
			'@n8n/community-nodes/no-dangerous-functions': 'off',
			'@n8n/community-nodes/no-hardcoded-secrets': 'off',
			'@n8n/community-nodes/require-node-api-error': 'off',
		},
	},
];
