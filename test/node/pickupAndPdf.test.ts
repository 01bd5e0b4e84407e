import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { PDFDocument, StandardFonts } from '@cantoo/pdf-lib';
import { simpleParser } from 'mailparser';

import { TestSmtpServer } from '../support/testSmtpServer';
import { clerkParameters, employeeItems, employees, mailOf, runPayrollMail, SMTP_PASSWORD, SMTP_USER } from './payrollRun';

describe('delivery into a pickup directory', () => {
	let folder: string;
	let server: TestSmtpServer;
	beforeEach(async () => {
		folder = mkdtempSync(join(tmpdir(), 'payroll-pickup-'));
		server = await TestSmtpServer.start({ tls: 'none', authMethods: [] });
	});
	afterEach(async () => {
		rmSync(folder, { recursive: true, force: true });
		await server.close();
	});

	it('writes one complete .eml per mail with the envelope in X-Sender / X-Receiver, batches as for SMTP', async () => {
		const staff = employees(5);
		const { outputs } = await runPayrollMail({
			server,
			items: employeeItems(staff),
			parameters: clerkParameters({ delivery: 'pickupDirectory', pickupDirectory: folder, bccEmail: 'archive@example.com', batchSize: 2 }),
		});
		expect(outputs[1]).toEqual([]);
		expect(outputs[0].map((item) => mailOf(item).batch)).toEqual([1, 1, 2, 2, 3]);
		expect(server.connections).toEqual([]);
		const files = readdirSync(folder).filter((name) => name.endsWith('.eml')).sort();
		expect(files).toHaveLength(5);
		const written = await Promise.all(files.map(async (name) => readFileSync(join(folder, name))));
		const recipients = written.map((bytes) => bytes.toString('latin1').split('\r\n').filter((line) => line.startsWith('X-Receiver: ')));
		expect(recipients.map((lines) => lines.map((line) => line.slice(12)))).toEqual(
			staff.map((employee) => [employee.email, 'archive@example.com']),
		);
		const parsed = await simpleParser(written[0]);
		expect(parsed.messageId).toBe(mailOf(outputs[0][0]).messageId);
		expect(parsed.attachments[0].content.subarray(0, 5).toString()).toBe('%PDF-');
		expect(parsed.bcc).toBeUndefined();
	});

	it('stops before writing anything when the folder does not exist', async () => {
		const { error } = await runPayrollMail({
			server,
			items: employeeItems(employees(2)),
			parameters: clerkParameters({ delivery: 'pickupDirectory', pickupDirectory: join(folder, 'missing') }),
		});
		expect(error?.name).toBe('NodeOperationError');
		expect(error?.message).toContain('missing');
		expect(readdirSync(folder)).toEqual([]);
	});
});

describe('PDF password', () => {
	// The encrypted PDFs are opened with the real qpdf, which `npm test` installs (test/system/provision.sh).
	const QPDF = process.env.QPDF ?? 'qpdf';

	async function realPayslip(name: string): Promise<Buffer> {
		const pdf = await PDFDocument.create();
		const page = pdf.addPage();
		page.drawText(`Payslip of ${name}`, { x: 50, y: 700, font: await pdf.embedFont(StandardFonts.Helvetica) });
		return Buffer.from(await pdf.save());
	}

	it('encrypts each employee\'s PDF with their own password; it opens with it and only with it', async () => {
		const server = await TestSmtpServer.start({ tls: 'none', authMethods: ['LOGIN'], users: { [SMTP_USER]: SMTP_PASSWORD } });
		const folder = mkdtempSync(join(tmpdir(), 'payroll-pdf-'));
		try {
			const staff = employees(2);
			const items = employeeItems(staff);
			for (const [index, item] of items.entries()) {
				item.json.birthDate = `1980-01-0${index + 1}`;
				item.binary!.data.data = await realPayslip(staff[index].name);
			}
			const { outputs } = await runPayrollMail({
				server,
				items,
				parameters: clerkParameters({ options: { pdfPassword: '={{ $json.birthDate }}' } }),
			});
			expect(outputs[1]).toEqual([]);
			expect(outputs[0]).toHaveLength(2);
			expect(server.messages).toHaveLength(2);
			// The password comes from the employee's own data; the node adds it nowhere.
			expect(JSON.stringify(outputs.flat().map((item) => item.json.mail))).not.toContain('1980-01-0');
			for (const [index, message] of server.messages.entries()) {
				const pdf = (await simpleParser(message.raw)).attachments[0].content;
				const password = `1980-01-0${index + 1}`;
				expect(pdf.toString('latin1')).not.toContain(password);
				const file = join(folder, `${index}.pdf`);
				writeFileSync(file, pdf);
				expect(execFileSync(QPDF, ['--show-encryption', `--password=${password}`, file]).toString()).toMatch(/R = 6/);
				execFileSync(QPDF, ['--decrypt', `--password=${password}`, file, join(folder, `${index}.plain.pdf`)]);
				const other = `1980-01-0${2 - index}`;
				// qpdf's own refusal (exit 2, invalid password), not a qpdf that could not be run.
				expect(spawnSync(QPDF, ['--decrypt', `--password=${other}`, file, join(folder, 'x.pdf')], { encoding: 'utf8' })).toMatchObject({ status: 2, stderr: expect.stringMatching(/invalid password/) });
				expect(spawnSync(QPDF, ['--decrypt', file, join(folder, 'y.pdf')], { encoding: 'utf8' })).toMatchObject({ status: 2, stderr: expect.stringMatching(/invalid password/) });
			}
		} finally {
			rmSync(folder, { recursive: true, force: true });
			await server.close();
		}
	});
});
