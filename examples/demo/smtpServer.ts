import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

import { TestSmtpServer } from '../../test/support/testSmtpServer';

/** The mailbox the demo's SMTP server lets log in; made up, and only valid on 127.0.0.1. */
export const DEMO_SMTP_USER = 'payroll@example.com';
export const DEMO_SMTP_PASSWORD = 'demo-only-password';

/**
 * An SMTP server inside this process, on 127.0.0.1 and a free port, that wants a LOGIN before
 * it takes mail and records every message with its envelope and arrival time. It is the same
 * server the tests use.
 */
export async function startDemoSmtpServer(): Promise<TestSmtpServer> {
	return TestSmtpServer.start({
		tls: 'none',
		authMethods: ['LOGIN'],
		users: { [DEMO_SMTP_USER]: DEMO_SMTP_PASSWORD },
		authRequired: true,
	});
}

/** What a clerk would enter in the "Payroll Mail SMTP" credential for this server. */
export function demoCredential(server: TestSmtpServer): ICredentialDataDecryptedObject {
	return {
		host: '127.0.0.1',
		port: server.port,
		connection: 'plaintext',
		authMethod: 'login',
		user: DEMO_SMTP_USER,
		password: DEMO_SMTP_PASSWORD,
	};
}
