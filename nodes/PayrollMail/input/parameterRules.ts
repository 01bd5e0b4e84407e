import type { INodeParameters, INodeProperties } from 'n8n-workflow';

import { payrollMailProperties } from '../PayrollMail.description';

/** A number parameter as the editor enforces it: the same bounds hold when an expression sets it. */
export interface NumberRule {
	label: string;
	defaultValue: number;
	min: number;
	max: number;
	integer: boolean;
}

/**
 * The description of a parameter, by its path: `batchSize`, or `options.maxRetries` for an
 * option. The description is the one place that holds labels, defaults and bounds.
 */
export function describedParameter(path: string): INodeProperties {
	const [name, option] = path.split('.');
	const parameter = payrollMailProperties.find((property) => property.name === name);
	const described = option === undefined ? parameter : (parameter?.options as INodeProperties[] | undefined)?.find((entry) => entry.name === option);
	if (!described) throw new Error(`No parameter "${path}" in the node's description`);
	return described;
}

export function numberRule(path: string): NumberRule {
	const { displayName, default: defaultValue, typeOptions = {} } = describedParameter(path);
	return {
		label: displayName,
		defaultValue: defaultValue as number,
		min: typeOptions.minValue ?? Number.NEGATIVE_INFINITY,
		max: typeOptions.maxValue ?? Number.POSITIVE_INFINITY,
		integer: typeOptions.numberPrecision === 0,
	};
}

/** Whether the parameter at `path`, or the collection holding it, is an expression (may differ per item). */
export function isExpression(parameters: INodeParameters, path: string): boolean {
	let value: unknown = parameters;
	for (const key of path.split('.')) {
		if (typeof value === 'string') return value.startsWith('=');
		value = (value as INodeParameters | undefined)?.[key];
	}
	return typeof value === 'string' && value.startsWith('=');
}
