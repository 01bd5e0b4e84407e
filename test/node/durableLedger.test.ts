import type { IDataObject, INodeExecutionData } from 'n8n-workflow';

import { DeduplicationStoreDouble } from '../harness/deduplicationStore';
import { TestSmtpServer, type TestServerOptions } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, smtpCredential, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

/**
 * Skip Already Sent's record lives in n8n's database (its deduplication store; here the stand-in
 * described in test/harness/deduplicationStore.ts) and is written as the run goes. A crash is the
 * store as it was at that moment: the test takes a snapshot of it there, cancels the run, and
 * runs the same month again on the snapshot.
 */
const STAFF = employees(6);
const PARAMETERS = clerkParameters({
	bccEmail: 'archive@example.com',
	options: { skipAlreadySent: true, idempotencyKey: '={{ $json.email }}-{{ $json.period }}', maxRetries: 0 },
});

let server: TestSmtpServer;
afterEach(async () => server?.close());

async function startServer(options: TestServerOptions = {}): Promise<TestSmtpServer> {
	server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD, [OTHER_USER]: SMTP_PASSWORD }, ...options });
	return server;
}

/**
 * Two executions of one account take turns (test/node/accountLock.test.ts): for their claims to
 * overlap, the second here logs in as another user of the server, another account.
 */
const OTHER_USER = 'branch@example.com';
const otherAccount = () => smtpCredential(server, { user: OTHER_USER });

const byEmail = (outputs: INodeExecutionData[][]) =>
	new Map(outputs.flat().map((item) => [String(item.json.email), mailOf(item)] as const));

/** How many copies of each employee's mail the server holds (the archive copy not counted). */
function copiesAtServer(): Map<string, number> {
	const copies = new Map(STAFF.map((employee) => [employee.email, 0]));
	for (const message of server.messages) {
		for (const address of message.to) if (copies.has(address)) copies.set(address, copies.get(address)! + 1);
	}
	return copies;
}

describe('a run the n8n process dies in, run again', () => {
	it.each([
		['before MAIL FROM of the 3rd mail', 'mailFrom'],
		['during the DATA of the 3rd mail', 'dataStarted'],
		['after the 3rd mail\'s DATA, before the server\'s 250', 'dataComplete'],
		['right after the server\'s 250 for the 3rd mail', 'accepted'],
	] as const)('%s: every employee once, the 3rd reported unconfirmed, not resent', async (_point, event) => {
		const store = new DeduplicationStoreDouble();
		let crashed: DeduplicationStoreDouble | undefined;
		const stop = new AbortController();
		await startServer({
			onMessageEvent: (seen, message) => {
				if (seen !== event || message !== 3 || crashed) return;
				crashed = store.snapshot();
				stop.abort();
			},
		});
		const items = employeeItems(STAFF);
		await runPayrollMail({ server, items, parameters: PARAMETERS, deduplicationStore: store, signal: stop.signal });
		expect(crashed).toBeDefined();

		const rerun = await runPayrollMail({ server, items, parameters: PARAMETERS, deduplicationStore: crashed });
		const results = byEmail(rerun.outputs);
		expect(results.size).toBe(STAFF.length);
		expect(results.get(STAFF[0].email)).toMatchObject({ status: 'skipped' });
		expect(results.get(STAFF[1].email)).toMatchObject({ status: 'skipped' });
		expect(results.get(STAFF[2].email)).toMatchObject({
			status: 'failed',
			error: { code: 'EOUTCOMEUNKNOWN', message: expect.stringMatching(/^Not sent again: this mail was claimed .* never confirmed .* it may or may not have been delivered/) },
		});
		for (const { email } of STAFF.slice(3)) expect([email, results.get(email)?.status]).toEqual([email, 'sent']);
		const copies = copiesAtServer();
		expect(copies.get(STAFF[2].email)).toBeLessThanOrEqual(1);
		for (const { email } of [...STAFF.slice(0, 2), ...STAFF.slice(3)]) expect([email, copies.get(email)]).toEqual([email, 1]);
	});

	it('during a batch wait: nothing is claimed while waiting, so nothing is unconfirmed and nothing twice', async () => {
		const store = new DeduplicationStoreDouble();
		let crashed: DeduplicationStoreDouble | undefined;
		const stop = new AbortController();
		await startServer({
			// The 2nd mail closes the first batch; the crash comes as its confirmation is written.
			onMessageEvent: (seen, message) => {
				if (seen === 'accepted' && message === 2) {
					store.afterNextWrite(() => {
						crashed = store.snapshot();
						stop.abort();
					});
				}
			},
		});
		const items = employeeItems(STAFF);
		const parameters = { ...PARAMETERS, batchSize: 2, batchWait: 30 };
		await runPayrollMail({ server, items, parameters, deduplicationStore: store, signal: stop.signal });
		expect(server.messages).toHaveLength(2);

		const rerun = await runPayrollMail({ server, items, parameters: PARAMETERS, deduplicationStore: crashed });
		expect(STAFF.map(({ email }) => byEmail(rerun.outputs).get(email)?.status)).toEqual(['skipped', 'skipped', 'sent', 'sent', 'sent', 'sent']);
		expect([...copiesAtServer().values()]).toEqual([1, 1, 1, 1, 1, 1]);
	});

	it('the clerk sends an unconfirmed mail again once checked, with Resend Unconfirmed Mails for that employee', async () => {
		const store = new DeduplicationStoreDouble();
		let crashed: DeduplicationStoreDouble | undefined;
		const stop = new AbortController();
		let refused = 0;
		await startServer({
			// The first mail is refused, so that the employee has no copy: the archive shows it missing.
			refuseMessage: () => (refused++ === 0 ? { code: 451, text: '4.3.0 try again' } : undefined),
			onMessageEvent: (seen, message) => {
				if (seen === 'dataStarted' && message === 1 && !crashed) {
					crashed = store.snapshot();
					stop.abort();
				}
			},
		});
		const items = employeeItems(STAFF.slice(0, 2));
		await runPayrollMail({ server, items, parameters: PARAMETERS, deduplicationStore: store, signal: stop.signal });
		const checked = { ...PARAMETERS, options: { ...(PARAMETERS.options as IDataObject), resendUnconfirmed: `={{ $json.email === "${STAFF[0].email}" }}` } };
		const rerun = await runPayrollMail({ server, items, parameters: checked, deduplicationStore: crashed });
		expect(STAFF.slice(0, 2).map(({ email }) => byEmail(rerun.outputs).get(email)?.status)).toEqual(['sent', 'sent']);
		expect(server.messages.map((message) => message.to[0])).toEqual([STAFF[0].email, STAFF[1].email]);
	});
});

describe('a re-run from the editor', () => {
	it('skips what the first run sent, although n8n saves no static data for manual runs', async () => {
		const store = new DeduplicationStoreDouble();
		await startServer();
		const items = employeeItems(STAFF);
		// No static data is carried from one run to the next, as n8n does in the editor.
		await runPayrollMail({ server, items, parameters: PARAMETERS, deduplicationStore: store, staticData: {} });
		const second = await runPayrollMail({ server, items, parameters: PARAMETERS, deduplicationStore: store, staticData: {} });
		expect(second.outputs[0].map((item) => mailOf(item).status)).toEqual(STAFF.map(() => 'skipped'));
		expect(server.messages).toHaveLength(STAFF.length);
		// One entry kept per mail: its pending marker went once the server took it.
		expect(store.size()).toBe(STAFF.length);
	});
});

describe('two executions of the workflow at once, in one n8n process', () => {
	it('send each mail once between them; what the other claimed is skipped or reported unconfirmed, naming it', async () => {
		const store = new DeduplicationStoreDouble();
		let second: Promise<Awaited<ReturnType<typeof runPayrollMail>>> | undefined;
		const items = employeeItems(STAFF);
		await startServer({
			replyDelayMs: () => 50,
			onMessageEvent: (seen, message) => {
				if (seen === 'accepted' && message === 2 && !second) {
					second = runPayrollMail({ server, items, parameters: PARAMETERS, deduplicationStore: store, credential: otherAccount() });
				}
			},
		});
		const first = await runPayrollMail({ server, items, parameters: PARAMETERS, deduplicationStore: store });
		expect(second).toBeDefined();
		const other = await second!;
		expect([...copiesAtServer().values()]).toEqual([1, 1, 1, 1, 1, 1]);
		const [a, b] = [byEmail(first.outputs), byEmail(other.outputs)];
		for (const { email } of STAFF) {
			const statuses = [a.get(email)!, b.get(email)!];
			expect(statuses.filter((mail) => mail.status === 'sent')).toHaveLength(1);
			for (const mail of statuses.filter((result) => result.status !== 'sent')) {
				expect(mail.status === 'skipped' || (mail.error as IDataObject)?.code === 'EOUTCOMEUNKNOWN').toBe(true);
				if (mail.status === 'failed') expect((mail.error as IDataObject).message).toMatch(/claimed by execution \d+ at /);
			}
		}
	});
});

describe('two executions started at the same moment (a webhook the payroll system retried)', () => {
	it('claim each mail once: n8n\'s store alone would let both claim it', async () => {
		const store = new DeduplicationStoreDouble();
		await startServer({ replyDelayMs: () => 20 });
		const items = employeeItems(STAFF);
		const runs = await Promise.all(
			[undefined, otherAccount()].map(async (credential) => runPayrollMail({ server, items, parameters: PARAMETERS, deduplicationStore: store, credential })),
		);
		expect(runs).toHaveLength(2);
		expect([...copiesAtServer().values()]).toEqual([1, 1, 1, 1, 1, 1]);
		const sent = runs.flatMap(({ outputs }) => outputs.flat()).filter((item) => mailOf(item).status === 'sent');
		expect(sent).toHaveLength(STAFF.length);
	});
});

describe('when n8n\'s store cannot be written', () => {
	it('a mail that cannot be claimed is not sent, and says why', async () => {
		const store = new DeduplicationStoreDouble();
		store.failWrites(new Error('SQLITE_BUSY: database is locked'));
		await startServer();
		const { outputs } = await runPayrollMail({ server, items: employeeItems(STAFF.slice(0, 2)), parameters: PARAMETERS, deduplicationStore: store });
		expect(outputs[1]).toHaveLength(2);
		expect(mailOf(outputs[1][0]).error).toMatchObject({ code: 'ELEDGER', message: expect.stringContaining('SQLITE_BUSY: database is locked') });
		expect(server.messages).toHaveLength(0);
	});
});
