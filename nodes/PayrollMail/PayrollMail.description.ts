import type { INodeProperties } from 'n8n-workflow';

import { mailFields } from './descriptions/mailFields';
import { optionsCollection } from './descriptions/optionsCollection';
import { pacingFields } from './descriptions/pacingFields';
import { sendModeFields } from './descriptions/sendModeFields';

/** The node's parameters; their `name`s are public API (saved workflows store them). */
export const payrollMailProperties: INodeProperties[] = [...sendModeFields, ...mailFields, ...pacingFields, optionsCollection];
