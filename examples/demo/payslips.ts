import { PDFDocument, rgb, StandardFonts, type PDFFont, type PDFPage } from '@cantoo/pdf-lib';

/** The sample company; every amount is in CHF, every rate a plausible Swiss one. */
export const COMPANY = {
	name: 'Muster Treuhand AG',
	address: 'Bahnhofstrasse 12, 8001 Zürich',
	uid: 'CHE-123.456.789',
	payrollOffice: 'Payroll Office <payroll@example.com>',
	archive: 'payroll-archive@example.com',
};

/** Why an employee is in the demo: most are ordinary, two are there to fail. */
export type Role = 'ordinary' | 'badAddress' | 'missingPdf';

export interface PayslipLine {
	label: string;
	basis?: number;
	/** Percent, e.g. 5.3. */
	rate?: number;
	/** CHF; deductions are negative. */
	amount: number;
}

export interface SampleEmployee {
	position: number;
	employeeId: string;
	name: string;
	firstName: string;
	email: string;
	role: Role;
	age: number;
	period: string;
	periodLabel: string;
	gross: number;
	deductions: PayslipLine[];
	totalDeductions: number;
	net: number;
}

const FIRST_NAMES = [
	'Anna', 'Luca', 'Sarah', 'Marco', 'Laura', 'Jonas', 'Elena', 'Peter', 'Chiara', 'David',
	'Nina', 'Thomas', 'Sophie', 'Nicolas', 'Lea', 'Daniel', 'Martina', 'Simon', 'Julia', 'Fabian',
	'Andrea', 'Yannick', 'Sandra', 'Reto', 'Céline', 'Michael', 'Sara', 'Patrick', 'Lara', 'Stefan',
];
const LAST_NAMES = [
	'Müller', 'Rossi', 'Meier', 'Bernasconi', 'Schneider', 'Keller', 'Fischer', 'Weber', 'Brunner',
	'Baumann', 'Huber', 'Gerber', 'Moser', 'Favre', 'Zimmermann', 'Frei', 'Steiner', 'Wyss', 'Graf',
	'Roth', 'Lehmann', 'Bonvin', 'Kälin', 'Hofmann', 'Dubois', 'Suter', 'Bachmann', 'Marti',
	'Widmer', 'Arnold',
];

/** 2025 figures: AHV/IV/EO and ALV employee shares, BVG coordination deduction and upper limit. */
const AHV_IV_EO = 5.3;
const ALV = 1.1;
const ALV_CEILING_PER_MONTH = 12_350;
const BVG_COORDINATION_DEDUCTION = 2_205;
const BVG_UPPER_LIMIT = 7_560;

/** Amounts are rounded to 5 Rappen, as Swiss payroll does. */
function chf(amount: number): number {
	return Math.round(amount * 20) / 20;
}

function pensionRate(age: number): number {
	if (age < 25) return 0;
	if (age < 35) return 3.5;
	if (age < 45) return 5;
	if (age < 55) return 7.5;
	return 9;
}

function asciiSlug(text: string): string {
	return text
		.toLowerCase()
		.replace(/ä/g, 'ae')
		.replace(/ö/g, 'oe')
		.replace(/ü/g, 'ue')
		.normalize('NFD')
		.replace(/[\u0300-\u036f]/g, '')
		.replace(/[^a-z0-9]+/g, '.')
		.replace(/^\.|\.$/g, '');
}

/** Which employees fail on purpose: about a third and two thirds down the list. */
export function designedFailures(count: number): { badAddress: number; missingPdf: number } {
	const badAddress = Math.max(1, Math.round(count * 0.3));
	const missingPdf = Math.max(badAddress + 1, Math.round(count * 0.7));
	return { badAddress, missingPdf };
}

function deductionsFor(gross: number, age: number, withholdingTax: boolean): PayslipLine[] {
	const lines: PayslipLine[] = [
		{ label: 'AHV/IV/EO', basis: gross, rate: AHV_IV_EO, amount: -chf((gross * AHV_IV_EO) / 100) },
	];
	const alvBasis = Math.min(gross, ALV_CEILING_PER_MONTH);
	lines.push({ label: 'ALV', basis: alvBasis, rate: ALV, amount: -chf((alvBasis * ALV) / 100) });
	const coordinated = Math.max(0, Math.min(gross, BVG_UPPER_LIMIT) - BVG_COORDINATION_DEDUCTION);
	const bvgRate = pensionRate(age);
	lines.push({ label: 'BVG pension fund', basis: coordinated, rate: bvgRate, amount: -chf((coordinated * bvgRate) / 100) });
	if (withholdingTax) {
		const rate = gross < 6_000 ? 6.9 : gross < 8_000 ? 9.2 : 11.4;
		lines.push({ label: 'Withholding tax (tariff A0N)', basis: gross, rate, amount: -chf((gross * rate) / 100) });
	} else {
		lines.push({ label: 'Income tax: assessed by the canton, not withheld', amount: 0 });
	}
	return lines;
}

/** The month the payslips are for: the current one, as a payroll run on the 25th would send. */
export function currentPeriod(now = new Date()): { period: string; periodLabel: string } {
	const period = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`;
	const periodLabel = now.toLocaleDateString('en-GB', { month: 'long', year: 'numeric' });
	return { period, periodLabel };
}

/** The same staff every run: names, ages and salaries follow from the position in the list. */
export function sampleEmployees(count: number, now = new Date()): SampleEmployee[] {
	const { period, periodLabel } = currentPeriod(now);
	const failures = designedFailures(count);
	const used = new Set<string>();
	return Array.from({ length: count }, (_, index): SampleEmployee => {
		const position = index + 1;
		const firstName = FIRST_NAMES[index % FIRST_NAMES.length];
		const lastName = LAST_NAMES[(index + Math.floor(index / LAST_NAMES.length) * 7) % LAST_NAMES.length];
		const name = `${firstName} ${lastName}`;
		let local = asciiSlug(name);
		for (let suffix = 2; used.has(local); suffix++) local = `${asciiSlug(name)}${suffix}`;
		used.add(local);
		const role: Role =
			position === failures.badAddress ? 'badAddress' : position === failures.missingPdf ? 'missingPdf' : 'ordinary';
		// The typing slip a clerk makes: the @ is missing.
		const email = role === 'badAddress' ? `${local}.example.com` : `${local}@example.com`;
		const age = 23 + ((index * 11) % 41);
		const gross = 4_800 + Math.round(((index * 2_137) % 6_700) / 50) * 50;
		const deductions = deductionsFor(gross, age, index % 4 === 1);
		const totalDeductions = chf(deductions.reduce((sum, line) => sum + line.amount, 0));
		return {
			position,
			employeeId: `E${1000 + position}`,
			name,
			firstName,
			email,
			role,
			age,
			period,
			periodLabel,
			gross,
			deductions,
			totalDeductions,
			net: chf(gross + totalDeductions),
		};
	});
}

/** 6450 → "6'450.00", as amounts are written in Switzerland. */
export function formatChf(amount: number): string {
	const [whole, cents] = Math.abs(amount).toFixed(2).split('.');
	const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, "'");
	return `${amount < 0 ? '-' : ''}${grouped}.${cents}`;
}

const A4: [number, number] = [595.28, 841.89];
const LEFT = 56;
const RIGHT = A4[0] - 56;

interface Fonts {
	regular: PDFFont;
	bold: PDFFont;
}

function textRight(page: PDFPage, text: string, x: number, y: number, font: PDFFont, size: number): void {
	page.drawText(text, { x: x - font.widthOfTextAtSize(text, size), y, size, font });
}

function rule(page: PDFPage, y: number, thickness = 0.5): void {
	page.drawLine({ start: { x: LEFT, y }, end: { x: RIGHT, y }, thickness, color: rgb(0.4, 0.4, 0.4) });
}

function drawLine(page: PDFPage, fonts: Fonts, y: number, line: PayslipLine, bold = false): void {
	const font = bold ? fonts.bold : fonts.regular;
	page.drawText(line.label, { x: LEFT, y, size: 10, font });
	if (line.basis !== undefined) textRight(page, formatChf(line.basis), 330, y, fonts.regular, 10);
	if (line.rate !== undefined) textRight(page, `${line.rate.toFixed(2)} %`, 420, y, fonts.regular, 10);
	textRight(page, formatChf(line.amount), RIGHT, y, font, 10);
}

/** One A4 page: company, employee, period, gross, each deduction and the net pay, in CHF. */
export async function payslipPdf(employee: SampleEmployee): Promise<Buffer> {
	const pdf = await PDFDocument.create();
	pdf.setTitle(`Payslip ${employee.periodLabel} – ${employee.name}`);
	pdf.setAuthor(COMPANY.name);
	pdf.setCreator('n8n-nodes-payroll-mail demo');
	const page = pdf.addPage(A4);
	const fonts: Fonts = {
		regular: await pdf.embedFont(StandardFonts.Helvetica),
		bold: await pdf.embedFont(StandardFonts.HelveticaBold),
	};

	let y = A4[1] - 64;
	page.drawText(COMPANY.name, { x: LEFT, y, size: 16, font: fonts.bold });
	y -= 16;
	page.drawText(`${COMPANY.address} · UID ${COMPANY.uid}`, { x: LEFT, y, size: 9, font: fonts.regular });
	y -= 48;
	page.drawText(`Payslip ${employee.periodLabel}`, { x: LEFT, y, size: 20, font: fonts.bold });
	y -= 32;

	const details: Array<[string, string]> = [
		['Employee', employee.name],
		['Employee ID', employee.employeeId],
		['Period', `${employee.periodLabel} (${employee.period})`],
		['Currency', 'CHF'],
	];
	for (const [label, value] of details) {
		page.drawText(label, { x: LEFT, y, size: 10, font: fonts.regular });
		page.drawText(value, { x: LEFT + 110, y, size: 10, font: fonts.bold });
		y -= 15;
	}
	y -= 20;

	page.drawText('Item', { x: LEFT, y, size: 9, font: fonts.bold });
	textRight(page, 'Basis', 330, y, fonts.bold, 9);
	textRight(page, 'Rate', 420, y, fonts.bold, 9);
	textRight(page, 'Amount CHF', RIGHT, y, fonts.bold, 9);
	y -= 6;
	rule(page, y);
	y -= 16;
	drawLine(page, fonts, y, { label: 'Monthly salary', amount: employee.gross });
	y -= 18;
	drawLine(page, fonts, y, { label: 'Gross salary', amount: employee.gross }, true);
	y -= 22;
	for (const line of employee.deductions) {
		drawLine(page, fonts, y, line);
		y -= 16;
	}
	y -= 4;
	rule(page, y);
	y -= 16;
	drawLine(page, fonts, y, { label: 'Total deductions', amount: employee.totalDeductions }, true);
	y -= 22;
	rule(page, y, 1.2);
	y -= 18;
	page.drawText('Net salary', { x: LEFT, y, size: 12, font: fonts.bold });
	textRight(page, formatChf(employee.net), RIGHT, y, fonts.bold, 12);

	page.drawText(
		'Paid to the account you gave us. Questions about this payslip: payroll@example.com',
		{ x: LEFT, y: 72, size: 8, font: fonts.regular, color: rgb(0.35, 0.35, 0.35) },
	);
	page.drawText('Sample payslip made by the Payroll Mail demo; names and amounts are invented.', {
		x: LEFT,
		y: 60,
		size: 8,
		font: fonts.regular,
		color: rgb(0.35, 0.35, 0.35),
	});
	return Buffer.from(await pdf.save());
}

export function payslipFileName(employee: SampleEmployee): string {
	return `payslip-${employee.period}-${employee.employeeId}.pdf`;
}
