import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { TestPostgres } from '../support/postgres';
import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, parseMessages, runPayrollMail, smtpCredential, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

/**
 * Skip Already Sent with its record in PostgreSQL (a real server, started by this file from a
 * temporary folder): the send journal's rows, the re-run that reads them, and a table the clerk
 * named wrongly. The journal across processes is in postgresWorkers.test.ts.
 */
let postgres: TestPostgres;
let server: TestSmtpServer;
let tableNumber = 0;

beforeAll(async () => {
	postgres = await TestPostgres.start();
});
afterAll(async () => postgres?.stop());
afterEach(async () => server?.close());

/** Each test its own table, so that none sees another's mails. */
function journalParameters(overrides: IDataObject = {}): { parameters: INodeParameters; table: string } {
	const table = `journal_${++tableNumber}`;
	const parameters = clerkParameters({
		bccEmail: 'archive@example.com',
		options: {
			skipAlreadySent: true,
			idempotencyKey: '={{ $json.email }}-{{ $json.period }}',
			ledgerStore: 'postgres',
			ledgerTable: table,
			maxRetries: 0,
			...overrides,
		},
	});
	return { parameters, table };
}

async function run(parameters: INodeParameters, staff = employees(4), executionId?: string) {
	return runPayrollMail({ server, items: employeeItems(staff), parameters, moreCredentials: { postgres: postgres.credential() }, executionId });
}

const mails = (outputs: INodeExecutionData[][]) => new Map(outputs.flat().map((item) => [String(item.json.email), mailOf(item)] as const));

interface JournalRow {
	key: string;
	idempotency_key: string;
	recipients: string[];
	accepted_recipients: string[];
	subject: string;
	message_id: string;
	state: string;
	execution_id: string;
	workflow_id: string;
	account: string;
	claimed_at: Date;
	accepted_at: Date | null;
	released_at: Date | null;
	response: string | null;
	mail_id: string | null;
}

describe('the send journal in PostgreSQL', () => {
	it('holds one row per mail: accepted with the server\'s Message-ID, reply and time; released for a mail refused for good', async () => {
		server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['LOGIN'],
			users: { [SMTP_USER]: SMTP_PASSWORD },
			refuseRecipient: (address) => (address === 'employee3@example.com' ? { code: 550, text: '5.1.1 no such user' } : undefined),
		});
		const { parameters, table } = journalParameters();
		const first = await run(parameters, employees(4), '41');
		expect([...mails(first.outputs).values()].map((mail) => mail.status)).toEqual(['sent', 'sent', 'sent', 'failed']);

		const rows = await postgres.query<JournalRow>(`SELECT * FROM ${table} ORDER BY claimed_at`);
		expect(rows).toHaveLength(4);
		// The refused employee's mail reached the archive copy only: it is not theirs.
		const delivered = (await parseMessages(server)).filter((_, index) => server.messages[index].to.some((to) => to.startsWith('employee')));
		const accepted = rows.filter((row) => row.state === 'accepted');
		expect(accepted.map((row) => row.recipients[0]).sort()).toEqual(['employee1@example.com', 'employee2@example.com', 'employee4@example.com']);
		expect(accepted.map((row) => row.message_id).sort()).toEqual(delivered.map((message) => message.messageId).sort());
		for (const row of accepted) {
			const sent = mails(first.outputs).get(row.recipients[0])!;
			expect(row).toMatchObject({
				idempotency_key: `${row.recipients[0]}-2026-11`,
				accepted_recipients: row.recipients,
				subject: 'Your payslip for 2026-11',
				message_id: sent.messageId,
				mail_id: sent.mailId,
				execution_id: '41',
				workflow_id: 'harness-workflow',
				account: `smtp:${SMTP_USER}@127.0.0.1:${server.port}`,
				released_at: null,
				response: expect.stringMatching(/^250 /),
			});
			expect(row.accepted_at!.getTime()).toBeGreaterThanOrEqual(row.claimed_at.getTime());
		}
		const refused = rows.find((row) => row.state !== 'accepted')!;
		expect(refused).toMatchObject({ state: 'released', recipients: ['employee3@example.com'], accepted_at: null, released_at: expect.any(Date) });
	});

	it('a re-run skips what was sent, each item with the time the server accepted it and its Message-ID; the refused mail is sent', async () => {
		let refuse = true;
		server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['LOGIN'],
			users: { [SMTP_USER]: SMTP_PASSWORD },
			refuseRecipient: (address) => (refuse && address === 'employee3@example.com' ? { code: 550, text: '5.1.1 no such user' } : undefined),
		});
		const { parameters, table } = journalParameters();
		const first = mails((await run(parameters, employees(4), '51')).outputs);
		refuse = false;
		const second = mails((await run(parameters, employees(4), '52')).outputs);
		const rows = new Map((await postgres.query<JournalRow>(`SELECT * FROM ${table}`)).map((row) => [row.recipients[0], row]));
		for (const email of ['employee1@example.com', 'employee2@example.com', 'employee4@example.com']) {
			expect(second.get(email)).toMatchObject({
				status: 'skipped',
				messageId: first.get(email)!.messageId,
				sentAt: rows.get(email)!.accepted_at!.toISOString(),
				note: expect.stringMatching(/^Sent by execution 51;/),
			});
		}
		expect(second.get('employee3@example.com')).toMatchObject({ status: 'sent' });
		expect(rows.get('employee3@example.com')).toMatchObject({ state: 'accepted', execution_id: '52' });
		expect(server.messages.map((message) => message.to.filter((to) => to !== 'archive@example.com')[0]).sort()).toEqual(
			['employee1@example.com', 'employee2@example.com', 'employee3@example.com', 'employee4@example.com'],
		);
	});

	it('a mail an earlier run got to some recipients only is not sent again, and the message names who has it', async () => {
		let refuseCc = true;
		server = await TestSmtpServer.start({
			tls: 'none',
			authMethods: ['LOGIN'],
			users: { [SMTP_USER]: SMTP_PASSWORD },
			refuseRecipient: (address) => (refuseCc && address === 'boss@example.com' ? { code: 550, text: '5.1.1 no such user' } : undefined),
		});
		const { parameters } = journalParameters({ ccEmail: 'boss@example.com' });
		expect(mails((await run(parameters, employees(1))).outputs).get('employee1@example.com')).toMatchObject({ status: 'partial' });
		refuseCc = false;
		const again = mails((await run(parameters, employees(1))).outputs).get('employee1@example.com');
		expect(again).toMatchObject({
			status: 'failed',
			error: { code: 'EALREADYSENT', message: expect.stringContaining('to employee1@example.com, but not to boss@example.com') },
		});
		expect(server.messages).toHaveLength(1);
	});

	it('is created in the schema named, and read as PostgreSQL reads a name without quotes', async () => {
		server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
		await postgres.query('CREATE SCHEMA IF NOT EXISTS payroll');
		const { parameters } = journalParameters({ ledgerTable: 'Payroll.Sent_Mails' });
		await run(parameters, employees(2));
		expect(await postgres.query('SELECT state FROM payroll.sent_mails')).toEqual([{ state: 'accepted' }, { state: 'accepted' }]);
	});

	it('adds the delivery report columns to a journal an earlier version made, and leaves another table alone', async () => {
		server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
		const { parameters, table } = journalParameters();
		await postgres.query(
			`CREATE TABLE ${table} (key text PRIMARY KEY, idempotency_key text, recipients text[] NOT NULL,
				accepted_recipients text[] NOT NULL DEFAULT '{}', subject text NOT NULL DEFAULT '', message_id text,
				state text NOT NULL, execution_id text, workflow_id text, account text, claimed_at timestamptz NOT NULL,
				accepted_at timestamptz, released_at timestamptz, response text)`,
		);
		const result = await run(parameters, employees(1));
		const [row] = await postgres.query<JournalRow>(`SELECT * FROM ${table}`);
		expect(row).toMatchObject({ state: 'accepted', mail_id: mailOf(result.outputs[0][0]).mailId, bounced_at: null, bounce_status: null });
		await postgres.query('CREATE TABLE IF NOT EXISTS employees_list (name text, email text)');
		await run(journalParameters({ ledgerTable: 'employees_list' }).parameters, employees(1));
		const columns = await postgres.query<{ column_name: string }>(
			"SELECT column_name FROM information_schema.columns WHERE table_name = 'employees_list' ORDER BY column_name",
		);
		expect(columns.map((column) => column.column_name)).toEqual(['email', 'name']);
	});

	it.each([
		['a table name that would need quotes', { ledgerTable: 'journal; DROP TABLE x' }, /Table Name "journal; DROP TABLE x" is not a table name/],
		['a schema that does not exist', { ledgerTable: 'nowhere.journal' }, /the schema of nowhere\.journal does not exist/],
		['a table of something else', { ledgerTable: 'employees_list' }, /the table employees_list exists but is not a Payroll Mail journal/],
	])('%s stops the node before anything is sent', async (_case, options, message) => {
		server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
		await postgres.query('CREATE TABLE IF NOT EXISTS employees_list (name text, email text)');
		const { parameters } = journalParameters(options);
		const result = await run(parameters, employees(2));
		expect(result.error?.message).toMatch(message);
		expect(server.messages).toHaveLength(0);
	});

	it('a database that cannot be reached stops the node before anything is sent, naming the table', async () => {
		server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
		const { parameters } = journalParameters();
		const result = await runPayrollMail({
			server,
			items: employeeItems(employees(2)),
			parameters,
			credential: smtpCredential(server),
			moreCredentials: { postgres: postgres.credential({ database: 'no_such_database' }) },
		});
		expect(result.error?.message).toMatch(/^Skip Already Sent keeps its record in the PostgreSQL table journal_\d+, but it could not be opened: database "no_such_database" does not exist/);
		expect(server.messages).toHaveLength(0);
	});
});
