/**
 * Bounces from a real MTA, matched back to the employees: Postfix on 127.0.0.1 as the company
 * relay, accepting mail for addresses it has no mailbox for and bouncing it afterwards, and
 * deferring one address. The node sends a run with delivery reports asked for (DSN); the reports
 * Postfix delivers to the sender's Maildir go through Payroll Mail Bounces. See postfixRelay.ts;
 * needs what postfix.test.ts needs.
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { makeTestCertificates } from '../support/certificates';
import type { TestSmtpServer } from '../support/testSmtpServer';
import { rawItem, runBounces } from '../node/bouncesRun';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from '../node/payrollRun';
import { PostfixRelay, relayCredential } from './postfixRelay';

const staff = employees(6);
/** Two employees whose addresses do not exist, one whose mailbox is not reachable for now. */
const [gone1, gone2, deferred] = [staff[2], staff[4], staff[5]];
/** The archive copy goes to an address that does not exist either: it asks for no report (NOTIFY=NEVER), so none comes. */
const ARCHIVE = 'archive-missing@example.com';

describe('bounces from Postfix, matched back to the employees', () => {
	let relay: PostfixRelay;
	let sent: INodeExecutionData[];
	let reports: Buffer[];

	beforeAll(async () => {
		const certificates = makeTestCertificates();
		relay = await PostfixRelay.start({
			certificate: certificates.forLoopbackIp,
			users: { [SMTP_USER]: SMTP_PASSWORD },
			mailboxes: [...staff.filter((employee) => ![gone1, gone2].includes(employee)).map((employee) => employee.email), SMTP_USER],
			messageSizeLimit: 5 * 1024 * 1024,
			acceptUnlisted: true,
			deferred: [deferred.email],
		});
		const result = await runPayrollMail({
			server: undefined as unknown as TestSmtpServer,
			items: employeeItems(staff),
			parameters: clerkParameters({ bccEmail: ARCHIVE }),
			credential: relayCredential(relay.port, certificates.ca.cert, { user: SMTP_USER, password: SMTP_PASSWORD }),
			executionId: '2611',
		});
		expect(result.error).toBeUndefined();
		sent = result.outputs[0];
		// Two bounces and one delay warning; the archive copies ask for none. Every report Postfix made
		// is delivered once its queue holds only the deferred mail.
		await relay.waitForMessages(SMTP_USER, 3, 60_000);
		await relay.waitForLog(0, new RegExp(`to=<${ARCHIVE}>.*status=bounced`), staff.length);
		await relay.waitForQueue(1);
		reports = relay.messagesFor(SMTP_USER);
	}, 90_000);
	afterAll(async () => relay?.stop());

	it('has every mail accepted by the relay: a 250 is not a delivery', () => {
		expect(sent.map((item) => mailOf(item).status)).toEqual(staff.map(() => 'sent'));
	});

	it('names exactly the two employees whose addresses do not exist, with the status and Postfix\'s words, and the one delayed', async () => {
		expect(relay.messagesFor(SMTP_USER)).toHaveLength(3);
		const result = await runBounces(reports.map((raw, index) => rawItem(raw, `report-${index}.eml`)));
		expect(result.error).toBeUndefined();
		const [bounced, other] = result.outputs;
		expect(other).toEqual([]);
		const failed = bounced.filter((item) => item.json.action === 'failed');
		expect(failed.map((item) => item.json.recipient).sort()).toEqual([gone1.email, gone2.email].sort());
		for (const item of failed) {
			const index = staff.findIndex((employee) => employee.email === item.json.recipient);
			expect(item.json).toMatchObject({
				status: '5.1.1',
				diagnostic: expect.stringMatching(/unknown user: "employee\d@example\.com"/),
				reportFormat: 'dsn',
				mailId: mailOf(sent[index]).mailId,
				messageId: mailOf(sent[index]).messageId,
				subject: 'Your payslip for 2026-11',
				execution: '2611',
				itemIndex: index,
			});
		}
		const delayed = bounced.filter((item) => item.json.action === 'delayed');
		expect(delayed.map((item) => item.json)).toEqual([
			expect.objectContaining({
				recipient: deferred.email,
				status: '4.2.1',
				diagnostic: expect.stringContaining('mailbox temporarily unavailable'),
				mailId: mailOf(sent[5]).mailId,
				itemIndex: 5,
			}),
		]);
	});

	it('sends no report on the archive copies, and no copy of the payslip back (headers only)', () => {
		expect(reports).toHaveLength(3);
		for (const raw of reports) {
			expect(raw.toString('latin1')).not.toMatch(/Content-Type: application\/pdf/i);
			expect(raw.toString('latin1')).not.toContain(`Final-Recipient: rfc822; ${ARCHIVE}`);
		}
	});

	it('puts a payslip that arrived on Other', async () => {
		const [delivered] = relay.messagesFor(staff[0].email);
		const result = await runBounces([rawItem(delivered)]);
		expect(result.outputs[0]).toEqual([]);
		expect(result.outputs[1]).toHaveLength(1);
	});
});
