/**
 * The bench's chart, as SVG text written by plain code: mails per second against connections, one
 * panel per profile, a line each for Payroll Mail (in the engine and in a real n8n) and bare
 * nodemailer (on the bench's Node and on the real n8n's), Send Email (one connection per mail) as
 * a flat dashed line.
 */
import type { ProfileSummary } from './compare';

const WIDTH = 440;
const HEIGHT = 300;
const MARGIN = { left: 56, right: 16, top: 36, bottom: 44 };

const SERIES = [
	{ scenario: 'payrollMail', place: 'engine', label: 'Payroll Mail (n8n engine)', color: '#1f77b4', dash: '' },
	{ scenario: 'payrollMail', place: 'realN8n', label: 'Payroll Mail (real n8n)', color: '#2ca02c', dash: '' },
	{ scenario: 'nodemailer', place: 'engine', label: 'bare nodemailer pool', color: '#ff7f0e', dash: '' },
	{ scenario: 'nodemailer', place: 'n8nNode', label: "bare nodemailer pool (real n8n's Node)", color: '#d62728', dash: '2 3' },
	{ scenario: 'emailSend', place: 'engine', label: 'Send Email (n8n engine)', color: '#7f7f7f', dash: '6 4' },
	{ scenario: 'emailSend', place: 'realN8n', label: 'Send Email (real n8n)', color: '#bcbd22', dash: '6 4' },
] as const;

const escape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A round upper bound for the axis: 1, 2 or 5 times a power of ten. */
function niceMax(value: number): number {
	const power = 10 ** Math.floor(Math.log10(Math.max(value, 1)));
	return [1, 2, 5, 10].map((step) => step * power).find((candidate) => candidate >= value) ?? 10 * power;
}

function panel(summary: ProfileSummary, connections: number[], offsetX: number): string[] {
	const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
	const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
	const points = SERIES.map((series) => ({
		series,
		values: connections.map((count) => {
			const id = series.scenario === 'emailSend' ? 'emailSend' : `${series.scenario}-${count}`;
			return summary.senders.find((sender) => sender.scenario === id && sender.place === series.place)?.mailsPerSecond.median ?? Number.NaN;
		}),
	}));
	const top = niceMax(Math.max(1, ...points.flatMap(({ values }) => values.filter(Number.isFinite))));
	const x = (index: number) => offsetX + MARGIN.left + (plotWidth * index) / Math.max(1, connections.length - 1);
	const y = (value: number) => MARGIN.top + plotHeight * (1 - value / top);
	const parts = [
		// The panel names the profile; the README and the JSON say what it is.
		`<text x="${offsetX + WIDTH / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escape(summary.label.split(' (')[0])}</text>`,
		`<line x1="${x(0)}" y1="${y(0)}" x2="${x(connections.length - 1)}" y2="${y(0)}" stroke="#333"/>`,
		`<line x1="${x(0)}" y1="${y(0)}" x2="${x(0)}" y2="${y(top)}" stroke="#333"/>`,
		`<text x="${offsetX + WIDTH / 2}" y="${HEIGHT - 8}" text-anchor="middle" font-size="11">connections</text>`,
		`<text x="${offsetX + 14}" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 ${offsetX + 14} ${MARGIN.top + plotHeight / 2})">mails/s</text>`,
	];
	for (let tick = 0; tick <= 4; tick++) {
		const value = (top * tick) / 4;
		parts.push(`<line x1="${x(0)}" y1="${y(value)}" x2="${x(connections.length - 1)}" y2="${y(value)}" stroke="#ddd"/>`);
		parts.push(`<text x="${x(0) - 6}" y="${y(value) + 4}" text-anchor="end" font-size="10">${Math.round(value)}</text>`);
	}
	connections.forEach((count, index) => parts.push(`<text x="${x(index)}" y="${y(0) + 16}" text-anchor="middle" font-size="10">${count}</text>`));
	if (summary.skipped) {
		parts.push(`<text x="${offsetX + WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle" font-size="12">skipped: ${escape(summary.skipped.slice(0, 60))}</text>`);
		return parts;
	}
	for (const { series, values } of points) {
		const drawn = values.map((value, index) => [x(index), y(value)] as const).filter(([, at]) => Number.isFinite(at));
		if (!drawn.length) continue;
		const path = drawn.map(([atX, atY], index) => `${index ? 'L' : 'M'}${atX.toFixed(1)},${atY.toFixed(1)}`).join(' ');
		parts.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="2"${series.dash ? ` stroke-dasharray="${series.dash}"` : ''}/>`);
		if (series.scenario !== 'emailSend') for (const [atX, atY] of drawn) parts.push(`<circle cx="${atX.toFixed(1)}" cy="${atY.toFixed(1)}" r="3" fill="${series.color}"/>`);
	}
	return parts;
}

export function speedChart(summaries: ProfileSummary[], connections: number[], caption: string): string {
	const width = WIDTH * summaries.length;
	// Three entries to a line.
	const legend = SERIES.map((series, index) => {
		const x = 20 + (index % 3) * 290;
		const y = HEIGHT + 16 + Math.floor(index / 3) * 18;
		return (
			`<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${series.color}" stroke-width="2"${series.dash ? ` stroke-dasharray="${series.dash}"` : ''}/>` +
			`<text x="${x + 30}" y="${y + 4}" font-size="11">${escape(series.label)}</text>`
		);
	});
	return [
		`<svg xmlns="http://www.w3.org/2000/svg" width="${Math.max(width, 880)}" height="${HEIGHT + 66}" font-family="sans-serif">`,
		`<rect width="100%" height="100%" fill="white"/>`,
		...summaries.flatMap((summary, index) => panel(summary, connections, index * WIDTH)),
		...legend,
		`<text x="20" y="${HEIGHT + 60}" font-size="10" fill="#555">${escape(caption)}</text>`,
		'</svg>',
		'',
	].join('\n');
}
