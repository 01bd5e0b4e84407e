/**
 * The workflow run in n8n: Manual Trigger → Code (three employees, a payslip PDF each, one with
 * a bad address) → Payroll Mail (batches of 2, archive BCC) → a No Op on Sent and on Failed; and
 * beside it Code (a bounce and a reply from the test corpus, as .eml files) → Payroll Mail Bounces
 * → a No Op on Bounced and on Other. Only nodes that exist unchanged in n8n 1.x and 2.x.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SMTP_USER = 'payroll';
export const SMTP_PASSWORD = 'right-password-1';
export const WRONG_PASSWORD = 'wrong-password-2';
export const ARCHIVE = 'archive@example.com';
export const SENDER = 'payroll@example.com';
export const PERIOD = '2026-11';

export const employees = [
	{ name: 'Anna Muster', email: 'anna@example.com', file: 'payslip-anna.pdf' },
	{ name: 'Ben Beispiel', email: 'ben-at-example.com', file: 'payslip-ben.pdf' },
	{ name: 'Chris Probe', email: 'chris@example.com', file: 'payslip-chris.pdf' },
];
export const badEmployee = employees[1];
export const goodEmployees = [employees[0], employees[2]];

/** A small PDF per employee, its name inside, so each attachment can be told apart. */
export function payslipPdf(name: string): Buffer {
	return Buffer.from(
		`%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\n` +
			`% payslip ${PERIOD} for ${name}\ntrailer <</Root 1 0 R>>\n%%EOF\n`,
		'latin1',
	);
}

export function credentialData(password: string, port: number) {
	return {
		host: '127.0.0.1',
		port,
		connection: 'plaintext',
		authMethod: 'login',
		user: SMTP_USER,
		password,
	};
}

function codeNodeSource(): string {
	const items = employees.map((employee) => ({
		json: { name: employee.name, email: employee.email, period: PERIOD },
		binary: {
			data: { data: payslipPdf(employee.name).toString('base64'), mimeType: 'application/pdf', fileName: employee.file },
		},
	}));
	return `// Three employees with their payslip PDF, as a payroll export would deliver them.\nreturn ${JSON.stringify(items, null, 2)};\n`;
}

/** The received mails Payroll Mail Bounces reads: a Postfix-style bounce and an employee's reply, from the test corpus. */
export const BOUNCE_MAILS = ['rfc3464-failed.eml', 'other-reply.eml'];
export const BOUNCED = { recipient: 'anna.muster@example.org', status: '5.1.1', mailId: 'pm.4711.0.0.0a1b2c3d4e5f' };

function bounceMailsSource(): string {
	const items = BOUNCE_MAILS.map((file) => ({
		json: { file },
		binary: {
			data: {
				data: readFileSync(join(__dirname, '..', '..', 'test', 'bounces', 'corpus', file)).toString('base64'),
				mimeType: 'message/rfc822',
				fileName: file,
			},
		},
	}));
	return `// Mails from the payroll mailbox, as .eml files.\nreturn ${JSON.stringify(items, null, 2)};\n`;
}

/** A node of a workflow as n8n saves it, its id made from its name. */
export function workflowNode(name: string, type: string, typeVersion: number, position: [number, number], parameters: object) {
	return { id: name.toLowerCase().replace(/\W+/g, '-'), name, type, typeVersion, position, parameters };
}

/** One item per employee with their payslip PDF as binary `data`, for a Code node to return. */
export function payslipItems(staff: Array<{ name: string; email: string }>) {
	return staff.map((employee) => ({
		json: { ...employee, period: PERIOD },
		binary: { data: { data: payslipPdf(employee.name).toString('base64'), mimeType: 'application/pdf', fileName: 'payslip.pdf' } },
	}));
}

/**
 * Manual Trigger → a Code node returning `staff`'s payslips → Payroll Mail (type version 1) with
 * `parameters` and `credentials`: the plain monthly run a check saves or imports.
 */
export function payslipRunWorkflow(
	workflow: { id?: string; name: string },
	staff: Array<{ name: string; email: string }>,
	payrollMail: { parameters: object; credentials: object },
) {
	const items = payslipItems(staff);
	return {
		...workflow,
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			workflowNode('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {}),
			workflowNode('Payslips', 'n8n-nodes-base.code', 2, [220, 0], { jsCode: `return ${JSON.stringify(items)};` }),
			{ ...workflowNode('Payroll Mail', 'n8n-nodes-payroll-mail.payrollMail', 1, [440, 0], payrollMail.parameters), credentials: payrollMail.credentials },
		],
		connections: {
			'Manual Trigger': { main: [[{ node: 'Payslips', type: 'main', index: 0 }]] },
			Payslips: { main: [[{ node: 'Payroll Mail', type: 'main', index: 0 }]] },
		},
	};
}

export function payrollWorkflow(credential: { id: string; name: string }) {
	const node = workflowNode;
	return {
		name: 'Payroll Mail in real n8n',
		active: false,
		settings: { executionOrder: 'v1' },
		nodes: [
			node('Manual Trigger', 'n8n-nodes-base.manualTrigger', 1, [0, 0], {}),
			node('Payslips', 'n8n-nodes-base.code', 2, [220, 0], { jsCode: codeNodeSource() }),
			{
				...node('Payroll Mail', 'n8n-nodes-payroll-mail.payrollMail', 1, [440, 0], {
					fromEmail: `Payroll Office <${SENDER}>`,
					toEmail: '={{ $json.email }}',
					subject: '=Your payslip for {{ $json.period }}',
					text: '=Hello {{ $json.name }},\n\nyour payslip for {{ $json.period }} is attached.',
					attachments: 'data',
					bccEmail: ARCHIVE,
					batchSize: 2,
				}),
				credentials: { payrollSmtpApi: credential },
			},
			node('Sent', 'n8n-nodes-base.noOp', 1, [660, -100], {}),
			node('Failed', 'n8n-nodes-base.noOp', 1, [660, 100], {}),
			node('Bounce Mails', 'n8n-nodes-base.code', 2, [220, 300], { jsCode: bounceMailsSource() }),
			node('Payroll Mail Bounces', 'n8n-nodes-payroll-mail.payrollMailBounces', 1, [440, 300], {}),
			node('Bounced', 'n8n-nodes-base.noOp', 1, [660, 200], {}),
			node('Other', 'n8n-nodes-base.noOp', 1, [660, 400], {}),
		],
		connections: {
			'Manual Trigger': {
				main: [
					[
						{ node: 'Payslips', type: 'main', index: 0 },
						{ node: 'Bounce Mails', type: 'main', index: 0 },
					],
				],
			},
			'Bounce Mails': { main: [[{ node: 'Payroll Mail Bounces', type: 'main', index: 0 }]] },
			'Payroll Mail Bounces': {
				main: [[{ node: 'Bounced', type: 'main', index: 0 }], [{ node: 'Other', type: 'main', index: 0 }]],
			},
			Payslips: { main: [[{ node: 'Payroll Mail', type: 'main', index: 0 }]] },
			'Payroll Mail': {
				main: [[{ node: 'Sent', type: 'main', index: 0 }], [{ node: 'Failed', type: 'main', index: 0 }]],
			},
		},
	};
}
