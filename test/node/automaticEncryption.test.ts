import { testCredential } from '../harness';
import { RemoteSmtpServer } from '../support/remoteSmtpServer';
import { employeeItems, employees, mailOf, PACKAGE_DIR, runPayrollMail } from './payrollRun';

/**
 * Connection Security "Automatic" towards a server on another host that offers no encryption (a
 * server in a network namespace of its own, reached over a veth pair: not this computer's
 * loopback). The password and the payslips must not go to it in the clear; Plain Text, chosen on
 * purpose, still reaches it.
 */
const USER = 'payroll';
const PASSWORD = 'Relay-Password-2026';
let server: RemoteSmtpServer;
beforeAll(async () => {
	server = await RemoteSmtpServer.start(USER, PASSWORD);
});
afterAll(async () => server?.close());
beforeEach(() => server.events.splice(0));

const credential = (connection: string) => ({ host: server.host, port: server.port, connection, authMethod: 'login', user: USER, password: PASSWORD });

describe('Automatic, a host that is not this computer, a server without STARTTLS', () => {
	it('sends nothing: every item on Failed at stage tls, saying to choose Plain Text for a company relay; no login, no sender given', async () => {
		const { outputs } = await runPayrollMail({ items: employeeItems(employees(3)), credential: credential('auto') });
		expect(outputs[0]).toHaveLength(0);
		expect(outputs[1]).toHaveLength(3);
		for (const item of outputs[1]) {
			expect(mailOf(item).error).toMatchObject({ stage: 'tls', message: expect.stringMatching(/offers no encryption .*nothing was sent .*Connection Security → Plain Text/) });
		}
		expect(server.count('connect')).toBe(1);
		expect(server.count('auth')).toBe(0);
		expect(server.count('mailFrom')).toBe(0);
	});

	it('the credential test fails at the encryption step and says why', async () => {
		const result = await testCredential({ packageDir: PACKAGE_DIR, credentialType: 'payrollSmtpApi', data: credential('auto') });
		expect(result).toEqual({ status: 'Error', message: expect.stringMatching(/^Encryption \(TLS\) failed: The server offers no encryption/) });
		expect(server.count('auth')).toBe(0);
	});
});

describe('Plain Text, chosen on purpose, to the same server', () => {
	it('sends, and the credential test says the connection is not encrypted', async () => {
		const { outputs } = await runPayrollMail({ items: employeeItems(employees(2)), credential: credential('plaintext') });
		expect(outputs.map((items) => items.length)).toEqual([2, 0]);
		expect(server.count('message')).toBe(2);
		const result = await testCredential({ packageDir: PACKAGE_DIR, credentialType: 'payrollSmtpApi', data: credential('plaintext') });
		expect(result).toEqual({ status: 'OK', message: expect.stringMatching(/login accepted; the connection is NOT encrypted \(Plain Text\)/) });
	});
});
