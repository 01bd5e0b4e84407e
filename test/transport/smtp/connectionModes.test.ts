import { defaultTuning } from '../../../nodes/PayrollMail/input/runSettings';
import { readSmtpSettings } from '../../../nodes/PayrollMail/transport/smtp/smtpSettings';
import { smtpTransportOptions } from '../../../nodes/PayrollMail/transport/smtp/smtpTransport';
import { ServerDialogue } from '../../../nodes/PayrollMail/transport/smtp/serverDialogue';
import { makeTestCertificates, type TestCertificates } from '../../support/certificates';
import { expectFailure, expectSent, sendOne } from '../../support/sendOne';
import { TestSmtpServer } from '../../support/testSmtpServer';

let certificates: TestCertificates;
beforeAll(() => {
	certificates = makeTestCertificates();
});

const SHORT_WAITS = { greetingTimeoutMs: 1_500, connectionTimeoutMs: 1_500, socketTimeoutMs: 1_500 };

async function withServer(
	tls: 'starttls' | 'none' | 'implicit',
	run: (server: TestSmtpServer) => Promise<void>,
) {
	const server = await TestSmtpServer.start({
		tls,
		certificate: certificates.forLoopbackIp,
		authMethods: ['PLAIN', 'LOGIN'],
		users: { clerk: 'right-password' },
	});
	try {
		await run(server);
	} finally {
		await server.close();
	}
}

function credential(server: TestSmtpServer, connection: string) {
	return {
		host: '127.0.0.1',
		port: server.port,
		connection,
		authMethod: 'login',
		user: 'clerk',
		password: 'right-password',
		advancedTls: true,
		caCertificate: certificates.ca.cert,
	};
}

describe('connection modes against a server that offers STARTTLS', () => {
	it.each([
		['auto', true],
		['startTls', true],
		['plaintext', false],
	])('%s sends, encrypted: %s', async (connection, encrypted) => {
		await withServer('starttls', async (server) => {
			expectSent(await sendOne(credential(server, connection)));
			expect(server.messages).toHaveLength(1);
			expect(server.messages[0].secure).toBe(encrypted);
			expect(server.authAttempts()).toEqual([{ method: 'LOGIN', username: 'clerk', succeeded: true }]);
		});
	});

	it('sslTls fails at the TLS stage: the server speaks plain SMTP first', async () => {
		await withServer('starttls', async (server) => {
			const failure = expectFailure(await sendOne(credential(server, 'sslTls'), SHORT_WAITS));
			expect(['tls', 'connection']).toContain(failure.detail.stage);
			expect(server.mailFromCount()).toBe(0);
		});
	});
});

describe('connection modes against a server without STARTTLS', () => {
	it.each(['auto', 'plaintext'])('%s sends in plain text to this computer (loopback)', async (connection) => {
		await withServer('none', async (server) => {
			expectSent(await sendOne(credential(server, connection)));
			expect(server.messages[0].secure).toBe(false);
		});
	});

	it('startTls refuses to send: no login, no MAIL FROM', async () => {
		await withServer('none', async (server) => {
			const failure = expectFailure(await sendOne(credential(server, 'startTls')));
			expect(failure.detail.stage).toBe('tls');
			expect(failure.message).toMatch(/does not offer STARTTLS/);
			expect(server.authAttempts()).toHaveLength(0);
			expect(server.mailFromCount()).toBe(0);
		});
	});
});

describe('connection modes against an implicit-TLS server', () => {
	it('sslTls sends encrypted', async () => {
		await withServer('implicit', async (server) => {
			expectSent(await sendOne(credential(server, 'sslTls')));
			expect(server.messages[0].secure).toBe(true);
		});
	});

	it.each(['startTls', 'plaintext'])('%s never gets a greeting and fails at the connection stage', async (connection) => {
		await withServer('implicit', async (server) => {
			const failure = expectFailure(await sendOne(credential(server, connection), SHORT_WAITS));
			expect(failure.detail.stage).toBe('connection');
			expect(failure.transient).toBe(true);
			expect(server.mailFromCount()).toBe(0);
		});
	});
});

describe('port 0 and automatic TLS', () => {
	const optionsFor = (connection: string, port = 0, host = 'smtp.example.com') =>
		smtpTransportOptions(
			readSmtpSettings({ host, port, connection, authMethod: 'none' }),
			defaultTuning(),
			new ServerDialogue(),
		);

	it.each([
		['sslTls', 465, true],
		['startTls', 587, false],
		['auto', 25, false],
		['plaintext', 25, false],
	])('%s on port 0 connects to %i (implicit TLS: %s)', (connection, port, secure) => {
		const options = optionsFor(connection);
		expect(options.port).toBe(port);
		expect(options.secure).toBe(secure);
	});

	it('auto on port 465 uses implicit TLS, elsewhere STARTTLS, required for any host but this computer', () => {
		expect(optionsFor('auto', 465).secure).toBe(true);
		expect(optionsFor('auto', 587)).toMatchObject({ secure: false, requireTLS: true, ignoreTLS: false });
		for (const host of ['localhost', '127.0.0.1', '127.12.0.3', '::1', '[::1]', 'mail.localhost']) {
			expect([host, optionsFor('auto', 25, host).requireTLS]).toEqual([host, false]);
		}
		for (const host of ['10.0.0.5', '192.168.1.20', 'relay.corp.example', 'localhost.corp.example', '127.0.0.1.nip.io', '::ffff:10.0.0.1', '0.0.0.0']) {
			expect([host, optionsFor('auto', 25, host).requireTLS]).toEqual([host, true]);
		}
	});

	it('plaintext ignores STARTTLS, startTls requires it', () => {
		expect(optionsFor('plaintext')).toMatchObject({ ignoreTLS: true, requireTLS: false });
		expect(optionsFor('startTls')).toMatchObject({ ignoreTLS: false, requireTLS: true });
	});
});
