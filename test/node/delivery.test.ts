import type { AddressObject } from 'mailparser';

import { binaryBytes } from '../harness';
import { makeTestCertificates } from '../support/certificates';
import { TestSmtpServer } from '../support/testSmtpServer';
import {
	clerkParameters,
	employeeItems,
	employees,
	mailOf,
	parseMessages,
	payslipPdf,
	runPayrollMail,
	SMTP_PASSWORD,
	SMTP_USER,
	smtpCredential,
} from './payrollRun';

const ARCHIVE = 'payroll-archive@example.com';
const addressesOf = (field: AddressObject | AddressObject[] | undefined) =>
	[field ?? []].flat().flatMap((object) => object.value.map((mailbox) => mailbox.address));

describe.each(['filesystem', 'default'] as const)('12 employees over STARTTLS + AUTH LOGIN (%s binary mode)', (binaryMode) => {
	const certificates = makeTestCertificates();
	const staff = employees(12);
	let server: TestSmtpServer;
	let result: Awaited<ReturnType<typeof runPayrollMail>>;

	beforeAll(async () => {
		server = await TestSmtpServer.start({
			tls: 'starttls',
			certificate: certificates.forLoopbackIp,
			authMethods: ['LOGIN'],
			authRequired: true,
			users: { [SMTP_USER]: SMTP_PASSWORD },
		});
		result = await runPayrollMail({
			server,
			items: employeeItems(staff),
			parameters: clerkParameters({ bccEmail: ARCHIVE }),
			credential: smtpCredential(server, { connection: 'startTls', advancedTls: true, caCertificate: certificates.ca.cert }),
			binaryMode,
		});
	});
	afterAll(async () => server.close());

	it('puts every item on Sent, in input order, paired to its input, with its own payslip unchanged', async () => {
		expect(result.error).toBeUndefined();
		const [sent, failed] = result.outputs;
		expect(failed).toEqual([]);
		expect(sent.map((item) => item.pairedItem)).toEqual(staff.map((_, item) => ({ item })));
		expect(sent.map((item) => item.json.email)).toEqual(staff.map((employee) => employee.email));
		expect(sent.every((item) => mailOf(item).status === 'sent')).toBe(true);
		const outputPdfs = await Promise.all(sent.map(async (item) => binaryBytes(item.binary!.data)));
		expect(outputPdfs.map((bytes, index) => bytes.equals(payslipPdf(staff[index])))).toEqual(staff.map(() => true));
	});

	it('delivers 12 encrypted, authenticated messages in input order', () => {
		expect(server.messages).toHaveLength(12);
		expect(server.messages.every((message) => message.secure && message.user === SMTP_USER)).toBe(true);
		expect(server.messages.map((message) => message.to.find((to) => to !== ARCHIVE))).toEqual(
			staff.map((employee) => employee.email),
		);
	});

	it('addresses each mail to its employee only, with the archive copy in the envelope and in no header', async () => {
		const parsed = await parseMessages(server);
		expect(parsed).toHaveLength(12);
		parsed.forEach((mail, index) => {
			expect(addressesOf(mail.to)).toEqual([staff[index].email]);
			expect(mail.cc).toBeUndefined();
			expect(mail.bcc).toBeUndefined();
			expect(server.messages[index].raw.toString('latin1')).not.toMatch(/^bcc:/im);
			expect(server.messages[index].raw.toString('latin1')).not.toContain(ARCHIVE);
			expect(server.messages[index].to).toEqual([staff[index].email, ARCHIVE]);
		});
	});

	it('attaches each payslip byte for byte, with the expressions evaluated per employee', async () => {
		const parsed = await parseMessages(server);
		expect(parsed).toHaveLength(12);
		parsed.forEach((mail, index) => {
			expect(mail.subject).toBe('Your payslip for 2026-11');
			expect(mail.text?.trim()).toBe(`Dear ${staff[index].name}, your payslip is attached.`);
			expect(mail.attachments).toHaveLength(1);
			expect(mail.attachments[0].filename).toBe('payslip-2026-11.pdf');
			expect(mail.attachments[0].contentType).toBe('application/pdf');
			expect(mail.attachments[0].content.equals(payslipPdf(staff[index]))).toBe(true);
		});
	});

	it('reports the Message-ID that arrived, and the rest of the mail object', async () => {
		const parsed = await parseMessages(server);
		const [sent] = result.outputs;
		expect(sent).toHaveLength(12);
		expect(parsed).toHaveLength(12);
		sent.forEach((item, index) => {
			const mail = mailOf(item);
			expect(mail.messageId).toBe(parsed[index].messageId);
			expect(mail).toMatchObject({
				to: [staff[index].email],
				cc: [],
				bcc: [ARCHIVE],
				subject: 'Your payslip for 2026-11',
				accepted: [staff[index].email, ARCHIVE],
				rejected: [],
				batch: 1,
				attempts: 1,
			});
			expect(mail.response).toMatch(/^250 /);
			expect(Date.parse(mail.sentAt as string)).not.toBeNaN();
			expect(mail.error).toBeUndefined();
		});
	});

	it('uses one connection and logs in once for the whole run', () => {
		expect(server.connections).toHaveLength(1);
		expect(server.sessions.size).toBe(1);
		expect(server.authAttempts()).toEqual([{ method: 'LOGIN', username: SMTP_USER, succeeded: true }]);
	});
});

describe('separate mode', () => {
	it('sends one message per address, each showing only its own address; the item is on Sent once', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
		try {
			const [anna] = employees(1);
			const items = employeeItems([{ ...anna, email: 'anna@example.com, anna.private@example.org' }]);
			const { outputs } = await runPayrollMail({
				server,
				items,
				parameters: clerkParameters({ recipientMode: 'separate', bccEmail: ARCHIVE }),
			});

			expect(server.messages.map((message) => message.to)).toEqual([
				['anna@example.com', ARCHIVE],
				['anna.private@example.org', ARCHIVE],
			]);
			const parsed = await parseMessages(server);
			expect(parsed.map((mail) => addressesOf(mail.to))).toEqual([['anna@example.com'], ['anna.private@example.org']]);
			expect(outputs[0]).toHaveLength(1);
			expect(outputs[1]).toHaveLength(0);
			const mail = mailOf(outputs[0][0]);
			expect(mail.status).toBe('sent');
			expect(mail.accepted).toEqual(['anna@example.com', ARCHIVE, 'anna.private@example.org', ARCHIVE]);
			expect((mail.messages as unknown[]).length).toBe(2);
		} finally {
			await server.close();
		}
	});
});
