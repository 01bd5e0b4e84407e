import { join } from 'node:path';

import { PDFDocument, StandardFonts } from '@cantoo/pdf-lib';
import { simpleParser, type ParsedMail } from 'mailparser';
import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	INodeExecutionData,
	INodeParameters,
} from 'n8n-workflow';

import { runWorkflow, type BinaryMode, type HarnessItem, type RunWorkflowResult } from '../harness';
import type { HarnessCredentials } from '../harness/credentials';
import type { DeduplicationStoreDouble } from '../harness/deduplicationStore';
import type { TestSmtpServer } from '../support/testSmtpServer';

export const PACKAGE_DIR = join(__dirname, '..', '..');
export const PAYROLL_MAIL = 'n8n-nodes-payroll-mail.payrollMail';
export const SMTP_USER = 'payroll@example.com';
export const SMTP_PASSWORD = 'Lohn-2026-geheim!';

export interface Employee {
	name: string;
	email: string;
	period: string;
}

/** A small file that passes for a PDF: it starts as every PDF does, and is unique per employee. */
export function payslipPdf(employee: Employee, size = 2_000): Buffer {
	const head = Buffer.from(`%PDF-1.7\n% payslip of ${employee.name} for ${employee.period}\n`);
	return Buffer.concat([head, Buffer.alloc(Math.max(0, size - head.length), 0x41)]);
}

/** A real one-page PDF, for what only a real PDF survives (encryption). */
export async function realPdf(text: string): Promise<Buffer> {
	const pdf = await PDFDocument.create();
	pdf.addPage().drawText(text, { x: 50, y: 700, font: await pdf.embedFont(StandardFonts.Helvetica) });
	return Buffer.from(await pdf.save());
}

export function employees(count: number): Employee[] {
	return Array.from({ length: count }, (_, index) => ({
		name: `Employee ${index + 1}`,
		email: `employee${index + 1}@example.com`,
		period: '2026-11',
	}));
}

/** One input item per employee, with the payslip as binary `data`. */
export function employeeItems(list: Employee[]): HarnessItem[] {
	return list.map((employee) => ({
		json: { ...employee },
		binary: {
			data: {
				data: payslipPdf(employee),
				fileName: `payslip-${employee.period}.pdf`,
				mimeType: 'application/pdf',
			},
		},
	}));
}

/** The parameters a clerk would fill in; tests override what they exercise. */
export function clerkParameters(overrides: INodeParameters = {}): INodeParameters {
	return {
		fromEmail: 'Payroll Office <payroll@example.com>',
		toEmail: '={{ $json.email }}',
		subject: '=Your payslip for {{ $json.period }}',
		emailFormat: 'text',
		text: '=Dear {{ $json.name }}, your payslip is attached.',
		attachments: 'data',
		...overrides,
	};
}

export function smtpCredential(
	server: TestSmtpServer,
	overrides: ICredentialDataDecryptedObject = {},
): ICredentialDataDecryptedObject {
	return {
		host: '127.0.0.1',
		port: server.port,
		connection: 'plaintext',
		authMethod: 'login',
		user: SMTP_USER,
		password: SMTP_PASSWORD,
		...overrides,
	};
}

export interface PayrollRunOptions {
	/** The server of the default credential; not needed with `credential` or `oauthCredential`. */
	server?: TestSmtpServer;
	items: HarnessItem[];
	parameters?: INodeParameters;
	credential?: ICredentialDataDecryptedObject;
	/** The "Payroll Mail SMTP OAuth2 API" credential: the node then logs in with it. n8n writes refreshed tokens into it. */
	oauthCredential?: ICredentialDataDecryptedObject;
	binaryMode?: BinaryMode;
	/** The node's version; the newest by default. */
	typeVersion?: number;
	settings?: { onError?: 'continueRegularOutput' | 'continueErrorOutput' | 'stopWorkflow' };
	signal?: AbortSignal;
	onNodeStarted?: (nodeName: string) => void;
	staticData?: IDataObject;
	deduplicationStore?: DeduplicationStoreDouble;
	/** Credentials besides Payroll Mail SMTP, e.g. `postgres` for the journal. */
	moreCredentials?: HarnessCredentials;
	executionId?: string;
}

/** Runs trigger → employees → Payroll Mail → Sent/Failed through n8n's engine. */
export async function runPayrollMail(options: PayrollRunOptions): Promise<RunWorkflowResult> {
	return runWorkflow({
		packageDir: PACKAGE_DIR,
		nodeUnderTest: {
			type: PAYROLL_MAIL,
			parameters: { ...(options.parameters ?? clerkParameters()), ...(options.oauthCredential ? { authentication: 'oAuth2' } : {}) },
			credentials: {
				...(options.oauthCredential
					? { payrollSmtpOAuth2Api: options.oauthCredential }
					: { payrollSmtpApi: options.credential ?? smtpCredential(options.server!) }),
				...options.moreCredentials,
			},
			settings: options.settings,
			typeVersion: options.typeVersion,
		},
		items: options.items,
		binaryMode: options.binaryMode,
		signal: options.signal,
		onNodeStarted: options.onNodeStarted,
		staticData: options.staticData,
		deduplicationStore: options.deduplicationStore,
		executionId: options.executionId,
	});
}

export function mailOf(item: INodeExecutionData): IDataObject {
	return item.json.mail as IDataObject;
}

export async function parseMessages(server: TestSmtpServer): Promise<ParsedMail[]> {
	return Promise.all(server.messages.map(async (message) => simpleParser(message.raw)));
}
