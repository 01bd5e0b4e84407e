import { makeTestCertificates, TEST_HOST_NAME, type KeyPair, type TestCertificates } from '../../support/certificates';
import { expectFailure, expectSent, sendOne } from '../../support/sendOne';
import { TestSmtpServer } from '../../support/testSmtpServer';

let certificates: TestCertificates;
beforeAll(() => {
	certificates = makeTestCertificates();
});

async function withTlsServer(certificate: () => KeyPair, run: (server: TestSmtpServer) => Promise<void>) {
	const server = await TestSmtpServer.start({ tls: 'implicit', certificate: certificate(), authMethods: [] });
	try {
		await run(server);
	} finally {
		await server.close();
	}
}

const credential = (server: TestSmtpServer, fields: Record<string, unknown> = {}) => ({
	host: '127.0.0.1',
	port: server.port,
	connection: 'sslTls',
	authMethod: 'none',
	...fields,
});

describe('a self-signed certificate', () => {
	const selfSigned = () => certificates.selfSigned;

	it('is rejected by default, at the tls stage, before MAIL FROM', async () => {
		await withTlsServer(selfSigned, async (server) => {
			const failure = expectFailure(await sendOne(credential(server)));
			expect(failure.detail.stage).toBe('tls');
			expect(failure.transient).toBe(false);
			expect(failure.message).toMatch(/certificate could not be verified/);
			expect(server.mailFromCount()).toBe(0);
		});
	});

	it('is accepted with allowUnauthorizedCerts', async () => {
		await withTlsServer(selfSigned, async (server) => {
			expectSent(await sendOne(credential(server, { allowUnauthorizedCerts: true })));
			expect(server.messages[0].secure).toBe(true);
		});
	});
});

describe('a certificate from a private CA', () => {
	const fromCa = () => certificates.forLoopbackIp;

	it('is rejected without the CA', async () => {
		await withTlsServer(fromCa, async (server) => {
			expect(expectFailure(await sendOne(credential(server))).detail.stage).toBe('tls');
		});
	});

	it('is accepted with the CA in caCertificate, still verified', async () => {
		await withTlsServer(fromCa, async (server) => {
			expectSent(await sendOne(credential(server, { caCertificate: certificates.ca.cert })));
		});
	});

	it('is rejected when caCertificate holds another CA', async () => {
		await withTlsServer(fromCa, async (server) => {
			const failure = expectFailure(await sendOne(credential(server, { caCertificate: certificates.selfSigned.cert })));
			expect(failure.detail.stage).toBe('tls');
		});
	});
});

describe('tlsServerName, when Host is an IP address', () => {
	const forName = () => certificates.forHostName;

	it('without it, a certificate for the name does not match the IP', async () => {
		await withTlsServer(forName, async (server) => {
			const failure = expectFailure(await sendOne(credential(server, { caCertificate: certificates.ca.cert })));
			expect(failure.detail.stage).toBe('tls');
		});
	});

	it('with it, the certificate is checked against that name and accepted', async () => {
		await withTlsServer(forName, async (server) => {
			expectSent(
				await sendOne(credential(server, { caCertificate: certificates.ca.cert, tlsServerName: TEST_HOST_NAME })),
			);
		});
	});

	it('a wrong name is still rejected', async () => {
		await withTlsServer(forName, async (server) => {
			const failure = expectFailure(
				await sendOne(credential(server, { caCertificate: certificates.ca.cert, tlsServerName: 'other.payroll.test' })),
			);
			expect(failure.detail.stage).toBe('tls');
		});
	});
});

describe('clientHostName', () => {
	it('is the name sent in EHLO', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: [] });
		try {
			expectSent(
				await sendOne({
					host: '127.0.0.1',
					port: server.port,
					connection: 'plaintext',
					authMethod: 'none',
					clientHostName: 'payroll.example.com',
				}),
			);
			expect([...server.sessions.values()][0].ehloName).toBe('payroll.example.com');
		} finally {
			await server.close();
		}
	});
});
