/**
 * The node against a real MTA: Postfix on 127.0.0.1 as the company relay (STARTTLS with a
 * certificate from a private CA, Cyrus SASL, relaying for logged-in clients only, SMTPUTF8,
 * a 5 MB size limit), delivering into Maildirs that the tests read. See test/mta/postfixRelay.ts.
 *
 * Needs root and Debian's postfix, libsasl2-modules and sasl2-bin, which `npm test` installs
 * (test/system/provision.sh). Without them every test here fails, naming what is missing.
 */
import { simpleParser, type ParsedMail } from 'mailparser';
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import type { HarnessItem } from '../harness';
import type { TestSmtpServer } from '../support/testSmtpServer';
import { makeTestCertificates, type TestCertificates } from '../support/certificates';
import {
	clerkParameters,
	employeeItems,
	employees,
	mailOf,
	payslipPdf,
	runPayrollMail,
	SMTP_PASSWORD,
	SMTP_USER,
	type Employee,
} from '../node/payrollRun';
import { PostfixRelay, postfixPrerequisites, relayCredential } from './postfixRelay';

const ARCHIVE = 'archive@example.com';
const UMLAUT_EMPLOYEE: Employee = { name: 'Jürg Müller', email: 'jürg.müller@example.com', period: '2026-11' };
const SIZE_LIMIT = 5 * 1024 * 1024;

const prerequisites = postfixPrerequisites();

describe('the Postfix relay suite', () => {
	it('has what it needs: root, Postfix ≥ 3.4 with Cyrus SASL, saslpasswd2 (test/system/provision.sh installs them)', () => {
		expect(prerequisites.problems).toEqual([]);
	});
});

const errorOf = (item: INodeExecutionData) => mailOf(item).error as IDataObject;

describe(`Postfix ${prerequisites.version ?? ''} on 127.0.0.1 as the company relay`, () => {
	const staff = employees(20);
	let certificates: TestCertificates;
	let relay: PostfixRelay;

	beforeAll(async () => {
		certificates = makeTestCertificates();
		relay = await PostfixRelay.start({
			certificate: certificates.forLoopbackIp,
			users: { [SMTP_USER]: SMTP_PASSWORD },
			mailboxes: [...staff.map((employee) => employee.email), ARCHIVE, UMLAUT_EMPLOYEE.email, SMTP_USER],
			messageSizeLimit: SIZE_LIMIT,
		});
	}, 30_000);
	afterAll(async () => relay?.stop());

	const credential = (overrides: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject => ({
		...relayCredential(relay.port, certificates.ca.cert, { user: SMTP_USER, password: SMTP_PASSWORD }),
		...overrides,
	});

	/**
	 * Runs the node through n8n's engine against the relay; returns its outputs and the mark
	 * where Postfix's log of this run starts (the run's SMTP sessions have all ended).
	 */
	const run = async (items: HarnessItem[], parameters: INodeParameters, overrides: ICredentialDataDecryptedObject = {}) => {
		const mark = relay.logMark();
		const result = await runPayrollMail({
			// The credential is given, so runPayrollMail has no use for an smtp-server test server.
			server: undefined as unknown as TestSmtpServer,
			items,
			parameters: clerkParameters(parameters),
			credential: credential(overrides),
		});
		expect(result.error).toBeUndefined();
		await relay.waitForSessionsToEnd(mark);
		return { outputs: result.outputs, mark };
	};

	const parsedFor = async (address: string): Promise<ParsedMail[]> =>
		Promise.all(relay.messagesFor(address).map(async (raw) => simpleParser(raw)));

	describe('20 employees in batches of 5, archive copy, STARTTLS verified through caCertificate, AUTH LOGIN', () => {
		let outputs: INodeExecutionData[][];
		let mark: number;
		// The relay is shared by every test in this file: count what this run added, whatever ran before.
		const mailboxes = [...staff.map((employee) => employee.email), ARCHIVE, SMTP_USER];
		let before: Record<string, Set<string>>;
		const added = (address: string) => relay.messagesFor(address).filter((raw) => !before[address].has(raw.toString('latin1')));

		beforeAll(async () => {
			before = Object.fromEntries(
				mailboxes.map((address) => [address, new Set(relay.messagesFor(address).map((raw) => raw.toString('latin1')))]),
			);
			({ outputs, mark } = await run(employeeItems(staff), { bccEmail: ARCHIVE, batchSize: 5, batchWait: 0.2 }));
			await relay.waitForDelivery({
				...Object.fromEntries(staff.map((employee) => [employee.email, before[employee.email].size + 1])),
				[ARCHIVE]: before[ARCHIVE].size + 20,
			});
		});

		it('puts all 20 on Sent in four batches, each with Postfix\'s "queued as"', () => {
			expect(outputs[1]).toEqual([]);
			expect(outputs[0]).toHaveLength(20);
			expect(outputs[0].map((item) => item.json.email)).toEqual(staff.map((employee) => employee.email));
			expect(outputs[0].map((item) => mailOf(item).batch)).toEqual(staff.map((_, index) => Math.floor(index / 5) + 1));
			for (const item of outputs[0]) {
				expect(mailOf(item)).toMatchObject({ status: 'sent', rejected: [] });
				expect(mailOf(item).response).toMatch(/^250 2\.0\.0 Ok: queued as [0-9A-F]+$/);
			}
		});

		it('delivers exactly one copy to every employee\'s Maildir and 20 to the archive, nothing bounced', async () => {
			expect(staff).toHaveLength(20);
			for (const employee of staff) expect(added(employee.email)).toHaveLength(1);
			expect(added(ARCHIVE)).toHaveLength(20);
			expect(added(SMTP_USER)).toEqual([]);
			const archived = await Promise.all(added(ARCHIVE).map(async (raw) => simpleParser(raw)));
			expect(archived.map((mail) => mail.messageId).sort()).toEqual(outputs[0].map((item) => mailOf(item).messageId).sort());
		});

		it('attaches each payslip byte for byte, and the archive copy is in no header', async () => {
			expect(staff).toHaveLength(20);
			for (const [index, employee] of staff.entries()) {
				const copies = added(employee.email);
				expect(copies).toHaveLength(1);
				const mail = await simpleParser(copies[0]);
				expect(mail.messageId).toBe(mailOf(outputs[0][index]).messageId);
				expect((mail.headers.get('delivered-to') as { text: string }).text).toBe(employee.email);
				expect(mail.attachments).toHaveLength(1);
				expect(mail.attachments[0].filename).toBe('payslip-2026-11.pdf');
				expect(mail.attachments[0].content.equals(payslipPdf(employee))).toBe(true);
				expect(copies[0].toString('latin1')).not.toContain(ARCHIVE);
			}
		});

		it('went over TLS, logged in with LOGIN, and Postfix stamped ESMTPSA', async () => {
			const log = relay.log(mark);
			expect(log).toMatch(/TLS connection established from localhost\[127\.0\.0\.1\]/);
			expect(log).toMatch(/sasl_method=LOGIN, sasl_username=payroll@example\.com/);
			const copies = added(staff[0].email);
			expect(copies).toHaveLength(1);
			expect(String((await simpleParser(copies[0])).headers.get('received'))).toMatch(/with ESMTPSA id/);
		});
	});

	describe.each([
		['plain', 'PLAIN'],
		['cramMd5', 'CRAM-MD5'],
		['auto', 'PLAIN'],
	])('authMethod %s', (authMethod, saslMethod) => {
		it(`logs in with ${saslMethod} and the mail is delivered`, async () => {
			const employee = staff[0];
			const before = relay.messagesFor(employee.email).length;
			const { outputs, mark } = await run(employeeItems([employee]), {}, { authMethod });
			expect(outputs[1]).toEqual([]);
			expect(mailOf(outputs[0][0]).status).toBe('sent');
			await relay.waitForDelivery({ [employee.email]: before + 1 });
			expect(relay.log(mark)).toContain(`sasl_method=${saslMethod}, sasl_username=${SMTP_USER}`);
		});
	});

	describe('the relay\'s certificate without the company CA in the credential', () => {
		it('is not trusted: every item Failed at the tls stage, before any login', async () => {
			const { outputs, mark } = await run(employeeItems(staff.slice(0, 3)), { bccEmail: ARCHIVE }, { caCertificate: '' });
			expect(outputs[0]).toEqual([]);
			expect(outputs[1].map((item) => errorOf(item).stage)).toEqual(['tls', 'tls', 'tls']);
			expect(errorOf(outputs[1][0]).message).toMatch(/certificate/i);
			expect(relay.log(mark)).not.toMatch(/sasl_method=|TLS connection established/);
			expect(relay.sessionCommands(mark).auth).toBeUndefined();
		});
	});

	describe('without login (authMethod none)', () => {
		it('is refused by Postfix\'s relay rules: every item Failed at the envelope stage, in Postfix\'s words', async () => {
			const { outputs, mark } = await run(employeeItems(staff.slice(0, 3)), { bccEmail: ARCHIVE }, { authMethod: 'none' });
			expect(outputs[0]).toEqual([]);
			expect(outputs[1]).toHaveLength(3);
			outputs[1].forEach((item) => {
				expect(mailOf(item).status).toBe('failed');
				expect(errorOf(item)).toMatchObject({ stage: 'envelope', responseCode: 554, permanent: true, command: 'RCPT TO' });
				expect(errorOf(item).message).toMatch(/554 5\.7\.1 <[^>]+@example\.com>: Relay access denied/);
				expect(errorOf(item).message).toMatch(/only from logged-in clients: check Authentication/);
			});
			// Each of the 3 mails had two recipients, the employee and the archive: six refusals.
			const refusals = relay.log(mark).split('\n').filter((line) => /NOQUEUE: reject: RCPT from .*Relay access denied/.test(line));
			expect(refusals).toHaveLength(6);
			expect(refusals[0]).toContain('554 5.7.1 <employee1@example.com>: Relay access denied; from=<payroll@example.com>');
			// With PIPELINING nodemailer sends DATA along with the RCPTs; Postfix refuses it (no valid
			// recipients), so nothing was queued.
			const commands = relay.sessionCommands(mark);
			expect(commands).toMatchObject({ starttls: { ok: 1, total: 1 }, mail: { ok: 3, total: 3 }, rcpt: { ok: 0, total: 6 }, data: { ok: 0, total: 3 } });
			expect(commands.auth).toBeUndefined();
			expect(relay.log(mark)).not.toMatch(/: client=localhost/);
		});
	});

	describe('a wrong password, 10 items', () => {
		it('costs exactly one login attempt in Postfix\'s log; every item Failed at the auth stage', async () => {
			const wrongPassword = 'Wrong-Password-Postfix-8812';
			const { outputs, mark } = await run(employeeItems(staff.slice(0, 10)), { bccEmail: ARCHIVE }, { password: wrongPassword });
			expect(outputs[0]).toEqual([]);
			expect(outputs[1]).toHaveLength(10);
			for (const item of outputs[1]) {
				expect(errorOf(item)).toMatchObject({ stage: 'auth', responseCode: 535 });
				expect(errorOf(item).message).toContain('535 5.7.8 Error: authentication failed');
			}
			expect(JSON.stringify(outputs)).not.toContain(wrongPassword);
			// One connection, one AUTH, which failed; no MAIL FROM.
			expect(relay.log(mark).match(/\]: connect from localhost/g)).toHaveLength(1);
			const commands = relay.sessionCommands(mark);
			expect(commands.auth).toEqual({ ok: 0, total: 1 });
			expect(commands.mail).toBeUndefined();
			const failures = relay.log(mark).split('\n').filter((line) => /SASL \S+ authentication failed/.test(line));
			expect(failures).toHaveLength(1);
			expect(failures[0]).toContain('SASL LOGIN authentication failed: authentication failure, sasl_username=payroll@example.com');
		});
	});

	describe('an employee address with umlauts', () => {
		it('is delivered via SMTPUTF8 to jürg.müller@example.com', async () => {
			const { outputs, mark } = await run(employeeItems([UMLAUT_EMPLOYEE]), { bccEmail: ARCHIVE });
			expect(outputs[1]).toEqual([]);
			expect(mailOf(outputs[0][0])).toMatchObject({ status: 'sent', rejected: [] });
			expect(mailOf(outputs[0][0]).accepted).toEqual(expect.arrayContaining([UMLAUT_EMPLOYEE.email, ARCHIVE]));
			await relay.waitForDelivery({ [UMLAUT_EMPLOYEE.email]: 1 });
			const [mail] = await parsedFor(UMLAUT_EMPLOYEE.email);
			expect(mail.to).toMatchObject({ value: [{ address: UMLAUT_EMPLOYEE.email }] });
			// RFC 6531 § 3.7.3: the protocol is UTF8SMTPSA when the client said SMTPUTF8 (over TLS, logged in).
			expect(String(mail.headers.get('received'))).toMatch(/with UTF8SMTPSA id/);
			expect(mail.attachments[0].content.equals(payslipPdf(UMLAUT_EMPLOYEE))).toBe(true);
			expect(relay.log(mark)).toMatch(/to=<jürg\.müller@example\.com>, relay=virtual.*status=sent/);
		});
	});

	describe('a 10 MB payslip against message_size_limit 5 MB', () => {
		it('fails that item alone with 552; the others are delivered', async () => {
			const trio = staff.slice(17, 20);
			const items = employeeItems(trio);
			const big = payslipPdf(trio[1], 10 * 1024 * 1024);
			items[1].binary = { data: { data: big, fileName: 'payslip-2026-11.pdf', mimeType: 'application/pdf' } };
			const before = Object.fromEntries(trio.map((employee) => [employee.email, relay.messagesFor(employee.email).length]));
			const archived = relay.messagesFor(ARCHIVE).length;
			const { outputs, mark } = await run(items, { bccEmail: ARCHIVE });

			expect(outputs[0].map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 2 }]);
			expect(outputs[1].map((item) => item.pairedItem)).toEqual([{ item: 1 }]);
			const error = errorOf(outputs[1][0]);
			expect(error).toMatchObject({ responseCode: 552, permanent: true });
			expect(error.message).toMatch(/552 5\.3\.4 Error: message file too big/);
			// nodemailer announces no SIZE= in MAIL FROM, so Postfix takes MAIL FROM and both RCPT TO and
			// refuses once the message outgrows the limit during DATA: stage data, not envelope.
			expect(error).toMatchObject({ stage: 'data', command: 'DATA' });
			await relay.waitForDelivery({ [trio[0].email]: before[trio[0].email] + 1, [trio[2].email]: before[trio[2].email] + 1, [ARCHIVE]: archived + 2 });
			expect(relay.messagesFor(trio[1].email)).toHaveLength(before[trio[1].email]);
			expect(relay.messagesFor(ARCHIVE)).toHaveLength(archived + 2);
			expect(relay.log(mark)).toMatch(/warning: [0-9A-F]+: queue file size limit exceeded/);
			expect(relay.log(mark)).not.toMatch(/reject: MAIL from/);
			expect(relay.sessionCommands(mark)).toMatchObject({ mail: { ok: 3, total: 3 }, rcpt: { ok: 6, total: 6 }, data: { ok: 2, total: 3 } });
		});
	});
});
