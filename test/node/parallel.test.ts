import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER, smtpCredential } from './payrollRun';

async function withServer(run: (server: TestSmtpServer) => Promise<void>) {
	const server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], authRequired: true, users: { [SMTP_USER]: SMTP_PASSWORD } });
	try {
		await run(server);
	} finally {
		await server.close();
	}
}

describe('parallel connections', () => {
	it('send over up to 3 connections, every mail once, batch limits exact', async () => {
		await withServer(async (server) => {
			const staff = employees(10);
			const { outputs } = await runPayrollMail({
				server,
				items: employeeItems(staff),
				parameters: clerkParameters({ batchSize: 4, batchWait: 0.3, options: { parallelConnections: 3 } }),
			});
			expect(outputs[1]).toEqual([]);
			expect(outputs[0].map((item) => mailOf(item).batch)).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3]);
			expect(server.messages.map((message) => message.to[0]).sort()).toEqual(staff.map((employee) => employee.email).sort());
			expect(server.connections.length).toBeGreaterThan(1);
			expect(server.connections.length).toBeLessThanOrEqual(3);
			// A batch ends before the next begins: no mail of batch 2 arrives before the last of batch 1.
			const arrivals = (batch: number) =>
				outputs[0]
					.filter((item) => mailOf(item).batch === batch)
					.map((item) => server.messages.find((message) => message.to[0] === item.json.email)!.arrivedAt);
			expect(Math.min(...arrivals(2)) - Math.max(...arrivals(1))).toBeGreaterThanOrEqual(300);
			expect(Math.min(...arrivals(3)) - Math.max(...arrivals(2))).toBeGreaterThanOrEqual(300);
		});
	});

	it('open the other connections once the first has logged in, while its mail is still on the wire', async () => {
		let atFirstReply: { connections: number; messages: number } | undefined;
		const server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['LOGIN'],
			authRequired: true,
			users: { [SMTP_USER]: SMTP_PASSWORD },
			// The first mail's reply is held back long enough for the other connections to send.
			replyDelayMs: (data) => (data === 1 ? 1_000 : 0),
			onMessageEvent: (event, message) => {
				if (event === 'accepted' && message === 1) atFirstReply = { connections: server.connections.length, messages: server.messages.length };
			},
		});
		try {
			const { outputs } = await runPayrollMail({
				server,
				items: employeeItems(employees(6)),
				parameters: clerkParameters({ options: { parallelConnections: 3 } }),
			});
			expect(outputs[0]).toHaveLength(6);
			expect(atFirstReply?.connections).toBe(3);
			expect(atFirstReply?.messages).toBeGreaterThan(1);
			expect(server.authAttempts().map((attempt) => attempt.succeeded)).toEqual([true, true, true]);
		} finally {
			await server.close();
		}
	});

	it('log in once only when the password is wrong', async () => {
		await withServer(async (server) => {
			const { outputs } = await runPayrollMail({
				server,
				items: employeeItems(employees(9)),
				parameters: clerkParameters({ options: { parallelConnections: 3 } }),
				credential: smtpCredential(server, { password: 'not-the-password' }),
			});
			expect(outputs[1]).toHaveLength(9);
			expect(server.authAttempts()).toHaveLength(1);
		});
	});
});

describe('mails per connection', () => {
	const mailsPerSession = (server: TestSmtpServer) => [...server.sessions.values()].map((session) => session.mailFromCount);

	it('replaces a connection after that many mails, logging in anew each time', async () => {
		await withServer(async (server) => {
			const { outputs } = await runPayrollMail({
				server,
				items: employeeItems(employees(5)),
				parameters: clerkParameters({ options: { mailsPerConnection: 2 } }),
			});
			expect(outputs[0]).toHaveLength(5);
			expect(mailsPerSession(server)).toEqual([2, 2, 1]);
			expect(server.authAttempts().map((attempt) => attempt.succeeded)).toEqual([true, true, true]);
		});
	});

	it('keeps one connection for every mail with 0, where the default of 100 would open a second', async () => {
		await withServer(async (server) => {
			const { outputs } = await runPayrollMail({
				server,
				items: employeeItems(employees(101)),
				parameters: clerkParameters({ options: { mailsPerConnection: 0 } }),
			});
			expect(outputs[0]).toHaveLength(101);
			expect(mailsPerSession(server)).toEqual([101]);
		});
	});
});
