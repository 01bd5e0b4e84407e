import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

import { simpleParser } from 'mailparser';
import type { INodeParameters } from 'n8n-workflow';

import { makeTestCertificates } from '../support/certificates';
import { TestSmtpServer, type TestServerOptions } from '../support/testSmtpServer';
import {
	clerkParameters,
	employeeItems,
	employees,
	mailOf,
	runPayrollMail,
	SMTP_PASSWORD,
	SMTP_USER,
	smtpCredential,
	type PayrollRunOptions,
} from './payrollRun';

const ARCHIVE = 'archive@example.com';
const QUICK_RETRIES = { retryWait: 0.05, maxRetries: 2 };

async function withServer<T>(options: TestServerOptions, run: (server: TestSmtpServer) => Promise<T>): Promise<T> {
	const server = await TestSmtpServer.start({
		tls: 'none',
		authMethods: ['LOGIN'],
		users: { [SMTP_USER]: SMTP_PASSWORD },
		...options,
	});
	try {
		return await run(server);
	} finally {
		await server.close();
	}
}

function run(server: TestSmtpServer, count: number, parameters: INodeParameters = {}, extra: Partial<PayrollRunOptions> = {}) {
	return runPayrollMail({
		server,
		items: employeeItems(employees(count)),
		parameters: clerkParameters({ bccEmail: ARCHIVE, options: QUICK_RETRIES, ...parameters }),
		...extra,
	});
}

const errorOf = (item: Parameters<typeof mailOf>[0]) => mailOf(item).error as Record<string, unknown>;

describe('a temporary refusal (4xx at RCPT) on the first try', () => {
	it('is retried for that recipient only, delivered on the second attempt, once', async () => {
		let refusals = 0;
		await withServer(
			{
				refuseRecipient: (address) =>
					address === 'employee2@example.com' && refusals++ === 0
						? { code: 451, text: '4.7.1 Greylisted, please try again' }
						: undefined,
			},
			async (server) => {
				const { outputs } = await run(server, 3);
				expect(outputs[1]).toEqual([]);
				const second = mailOf(outputs[0][1]);
				expect(second).toMatchObject({ status: 'sent', attempts: 2, rejected: [] });
				expect(second.accepted).toEqual(expect.arrayContaining(['employee2@example.com', ARCHIVE]));
				// The archive took the mail on the first attempt, the employee on the second: one copy each.
				expect(server.messages.map((message) => message.to)).toEqual([
					['employee1@example.com', ARCHIVE],
					[ARCHIVE],
					['employee2@example.com'],
					['employee3@example.com', ARCHIVE],
				]);
				const ids = await Promise.all(server.messages.map(async (message) => (await simpleParser(message.raw)).messageId));
				expect(ids[1]).toBe(ids[2]);
				expect(ids[1]).toBe(second.messageId);
			},
		);
	});
});

describe('the connection cut in the middle of DATA for the 9th of 12', () => {
	it('retries that mail on a fresh connection: 12 messages at the server, no duplicate Message-ID', async () => {
		await withServer({ dataFault: (data) => (data === 9 ? 'duringData' : undefined) }, async (server) => {
			const { outputs } = await run(server, 12);
			expect(outputs[1]).toEqual([]);
			expect(outputs[0].map((item) => mailOf(item).attempts)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 2, 1, 1, 1]);
			expect(server.messages).toHaveLength(12);
			const ids = await Promise.all(server.messages.map(async (message) => (await simpleParser(message.raw)).messageId));
			expect(new Set(ids).size).toBe(12);
			expect(server.messages.map((message) => message.to[0])).toEqual(employees(12).map((employee) => employee.email));
			expect(server.connections).toHaveLength(2);
		});
	});
});

describe('the connection cut after the whole message, before the 250', () => {
	it('fails that item with the unknown-outcome code and never resends it', async () => {
		await withServer({ dataFault: (data) => (data === 2 ? 'beforeReply' : undefined) }, async (server) => {
			const { outputs } = await run(server, 3);
			expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 2 }]);
			expect(outputs[1].map((item) => item.pairedItem)).toEqual([{ item: 1 }]);
			expect(mailOf(outputs[1][0])).toMatchObject({ status: 'failed', attempts: 1 });
			expect(errorOf(outputs[1][0])).toMatchObject({ code: 'EOUTCOMEUNKNOWN', stage: 'data', permanent: false });
			expect(errorOf(outputs[1][0]).message).toMatch(/Check the archive copy/);
			expect(server.messages.filter((message) => message.to[0] === 'employee2@example.com')).toHaveLength(1);
		});
	});
});

describe('a temporary refusal (4xx) after DATA on the first try', () => {
	it('is retried with the same Message-ID and delivered once', async () => {
		let refusals = 0;
		await withServer(
			{
				refuseMessage: (raw) =>
					raw.toString('latin1').includes('Dear Employee 2,') && refusals++ === 0
						? { code: 451, text: '4.3.0 Temporary queue failure' }
						: undefined,
			},
			async (server) => {
				const { outputs } = await run(server, 3);
				expect(outputs[1]).toEqual([]);
				expect(outputs[0].map((item) => mailOf(item).attempts)).toEqual([1, 2, 1]);
				// Read twice: refused once, then taken.
				expect(refusals).toBe(2);
				expect(server.messages.map((message) => message.to)).toEqual(
					employees(3).map((employee) => [employee.email, ARCHIVE]),
				);
				expect((await simpleParser(server.messages[1].raw)).messageId).toBe(mailOf(outputs[0][1]).messageId);
			},
		);
	});
});

describe('a server that does not greet the first connection within the greeting timeout', () => {
	it('is retried on a fresh connection, and every mail is delivered once', async () => {
		await withServer({ withholdGreeting: (connection) => connection === 1 }, async (server) => {
			const { outputs } = await run(server, 3, { options: { ...QUICK_RETRIES, greetingTimeout: 1 } });
			expect(outputs[1]).toEqual([]);
			expect(outputs[0].map((item) => mailOf(item).attempts)).toEqual([2, 1, 1]);
			expect(server.connections).toHaveLength(2);
			expect(server.messages.map((message) => message.to[0])).toEqual(employees(3).map((employee) => employee.email));
		});
	});
});

describe('the connection cut after a whole message, before the 250, with 3 parallel connections', () => {
	it('fails that one mail with the unknown-outcome code and sends it to nobody again', async () => {
		const staff = employees(9);
		await withServer({ dataFault: (data) => (data === 4 ? 'beforeReply' : undefined) }, async (server) => {
			const { outputs } = await run(server, 9, { options: { ...QUICK_RETRIES, parallelConnections: 3 } });
			expect(outputs[0]).toHaveLength(8);
			expect(outputs[1]).toHaveLength(1);
			const [unknown] = outputs[1];
			expect(mailOf(unknown)).toMatchObject({ status: 'failed', attempts: 1 });
			expect(errorOf(unknown)).toMatchObject({ code: 'EOUTCOMEUNKNOWN', stage: 'data', permanent: false });
			// The server holds every employee's mail exactly once, the one of unknown outcome included.
			expect(server.messages).toHaveLength(9);
			expect(server.messages.map((message) => message.to[0]).sort()).toEqual(staff.map((employee) => employee.email).sort());
			expect(server.messages.filter((message) => message.to[0] === unknown.json.email)).toHaveLength(1);
			expect(server.connections.length).toBeGreaterThan(1);
		});
	});
});

describe('a wrong password with 20 items', () => {
	it('tries to log in exactly once and fails all 20 at the auth stage with the server\'s words', async () => {
		const wrongPassword = 'Wrong-Password-Lockout-Test-4471';
		await withServer({ authRequired: true }, async (server) => {
			const { outputs } = await run(server, 20, {}, { credential: smtpCredential(server, { password: wrongPassword }) });
			expect(server.authAttempts()).toEqual([{ method: 'LOGIN', username: SMTP_USER, succeeded: false }]);
			expect(outputs[0]).toEqual([]);
			expect(outputs[1]).toHaveLength(20);
			for (const item of outputs[1]) {
				expect(errorOf(item)).toMatchObject({ stage: 'auth', responseCode: 535 });
				expect(errorOf(item).message).toContain('535 5.7.8 Authentication credentials invalid');
			}
			expect(JSON.stringify(outputs)).not.toContain(wrongPassword);
			expect(server.mailFromCount()).toBe(0);
		});
	});
});

describe('STARTTLS required but not offered', () => {
	it('sends no MAIL FROM and fails every item at the tls stage', async () => {
		await withServer({}, async (server) => {
			const { outputs } = await run(server, 5, {}, { credential: smtpCredential(server, { connection: 'startTls' }) });
			expect(server.mailFromCount()).toBe(0);
			expect(server.authAttempts()).toEqual([]);
			expect(outputs[1].map((item) => errorOf(item).stage)).toEqual(['tls', 'tls', 'tls', 'tls', 'tls']);
			// One refused STARTTLS is enough: the later items are not tried again.
			expect(server.connections).toHaveLength(1);
		});
	});
});

describe('a certificate that cannot be verified, with 5 items', () => {
	it('is tried on one connection only; every item fails at the tls stage, nothing logged in or sent', async () => {
		const certificates = makeTestCertificates();
		await withServer({ tls: 'starttls', certificate: certificates.forLoopbackIp }, async (server) => {
			const { outputs } = await run(server, 5, {}, { credential: smtpCredential(server, { connection: 'startTls' }) });
			expect(outputs[0]).toEqual([]);
			expect(outputs[1].map((item) => errorOf(item).stage)).toEqual(['tls', 'tls', 'tls', 'tls', 'tls']);
			expect(errorOf(outputs[1][0]).message).toMatch(/certificate could not be verified/);
			expect(server.connections).toHaveLength(1);
			expect(server.authAttempts()).toEqual([]);
			expect(server.mailFromCount()).toBe(0);
		});
	});
});

describe('a server that answers 421 when connected', () => {
	it('is retried and, once it recovers, gets every mail', async () => {
		await withServer(
			{ refuseConnection: (connection) => (connection === 1 ? { code: 421, text: '4.3.2 Too busy, try later' } : undefined) },
			async (server) => {
				const { outputs } = await run(server, 3);
				expect(outputs[1]).toEqual([]);
				expect(mailOf(outputs[0][0]).attempts).toBe(2);
				expect(server.messages).toHaveLength(3);
			},
		);
	});

	it('that keeps refusing: every item fails, after a bounded number of connections', async () => {
		let connections = 0;
		await withServer(
			{ refuseConnection: () => (connections++, { code: 421, text: '4.3.2 Too busy, try later' }) },
			async (server) => {
				const { outputs } = await run(server, 10);
				expect(outputs[1]).toHaveLength(10);
				expect(errorOf(outputs[1][9])).toMatchObject({ stage: 'connection', responseCode: 421 });
				expect(connections).toBe(QUICK_RETRIES.maxRetries + 1);
				expect(server.messages).toHaveLength(0);
			},
		);
	});

	it('a permanent refusal (554) is not retried at all', async () => {
		let connections = 0;
		await withServer(
			{ refuseConnection: () => (connections++, { code: 554, text: '5.7.1 Your address is not allowed to relay' }) },
			async (server) => {
				const { outputs } = await run(server, 4);
				expect(outputs[1]).toHaveLength(4);
				expect(errorOf(outputs[1][0])).toMatchObject({ stage: 'connection', responseCode: 554, permanent: true });
				expect(connections).toBe(1);
			},
		);
	});
});

describe('a server that accepts the connection and never greets', () => {
	let silent: Server;
	const sockets = new Set<Socket>();
	beforeAll(async () => {
		silent = createServer((socket) => {
			sockets.add(socket);
			socket.on('close', () => sockets.delete(socket));
		});
		await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
	});
	afterAll(async () => {
		sockets.forEach((socket) => socket.destroy());
		await new Promise((resolve) => silent.close(resolve));
	});

	it('ends within its greeting timeout, every item on Failed', async () => {
		await withServer({}, async (server) => {
			const started = Date.now();
			const { outputs } = await run(
				server,
				3,
				{ options: { ...QUICK_RETRIES, maxRetries: 0, greetingTimeout: 1 } },
				{ credential: smtpCredential(server, { port: (silent.address() as AddressInfo).port }) },
			);
			const elapsed = Date.now() - started;
			expect(outputs[1]).toHaveLength(3);
			expect(errorOf(outputs[1][0])).toMatchObject({ stage: 'connection', code: 'ETIMEDOUT' });
			expect(errorOf(outputs[1][0]).message).toMatch(/did not answer in time with its greeting/);
			// Bounded: one greeting timeout of 1 s, not one per item.
			expect(elapsed).toBeLessThan(10_000);
		});
	});
});

describe('cancelling the execution during a 30 s wait between batches', () => {
	it('ends the run at once, not after the wait; the mails not sent are reported as not sent', async () => {
		const controller = new AbortController();
		let cancelledAt = 0;
		// Two mails per connection: the client closes the first connection once the 250 for mail 2
		// is in, as the node starts the 30 s wait. That close is the moment to cancel.
		const onSessionClosed = () => {
			if (cancelledAt) return;
			cancelledAt = Date.now();
			controller.abort();
		};
		await withServer({ onSessionClosed }, async (server) => {
			const result = await run(
				server,
				4,
				{ batchSize: 2, batchWait: 30, options: { ...QUICK_RETRIES, mailsPerConnection: 2 } },
				{ signal: controller.signal },
			);
			const finishedAt = Date.now();
			expect(cancelledAt).toBeGreaterThan(0);
			// Not the 30 s the wait would have lasted; the margin is for a loaded machine.
			expect(finishedAt - cancelledAt).toBeLessThan(3_000);
			expect(result.status).toBe('canceled');
			expect(server.messages).toHaveLength(2);
			expect(result.outputs[0].map((item) => mailOf(item).status)).toEqual(['sent', 'sent']);
			expect(result.outputs[1].map((item) => errorOf(item).code)).toEqual(['ECANCELLED', 'ECANCELLED']);
		});
	});
});

describe('cancelling the execution while a mail waits for the server\'s verdict', () => {
	it('reports that mail as the server answers it, sent, and the mails not started as not sent', async () => {
		const controller = new AbortController();
		let cancelledAt = 0;
		const HELD_MS = 500;
		// Cancelled the moment the server has read the 2nd mail, whose 250 it then holds back.
		const replyDelayMs = (data: number) => {
			if (data !== 2) return 0;
			cancelledAt = Date.now();
			controller.abort();
			return HELD_MS;
		};
		await withServer({ replyDelayMs }, async (server) => {
			const result = await run(server, 4, {}, { signal: controller.signal });
			const finishedAt = Date.now();
			expect(cancelledAt).toBeGreaterThan(0);
			// It waited for the held reply (a timer never fires early), and not for the 5 s grace.
			expect(finishedAt - cancelledAt).toBeGreaterThanOrEqual(HELD_MS - 10);
			expect(finishedAt - cancelledAt).toBeLessThan(4_000);
			expect(result.status).toBe('canceled');
			expect(server.messages).toHaveLength(2);
			expect(result.outputs[0].map((item) => mailOf(item).status)).toEqual(['sent', 'sent']);
			expect(result.outputs[1].map((item) => errorOf(item).code)).toEqual(['ECANCELLED', 'ECANCELLED']);
		});
	});
});
