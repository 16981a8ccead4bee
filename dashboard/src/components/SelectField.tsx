import type { ReactNode } from 'react';

export interface SelectOption {
  value: string | number;
  label: string;
}

/**
 * A select inside its label (the label's text is the select's accessible name), its options
 * from a list, after any fixed ones given as children ("any site", "mine").
 */
export function SelectField({
  id,
  label,
  value,
  onChange,
  options,
  children,
  className,
  disabled,
  required,
  testId,
}: {
  /** Ties label and select by id; without it the label's wrapping alone names the select. */
  id?: string;
  label: ReactNode;
  value: string | number;
  onChange: (value: string) => void;
  options: readonly SelectOption[];
  children?: ReactNode;
  className?: string;
  disabled?: boolean;
  required?: boolean;
  testId?: string;
}) {
  return (
    <label htmlFor={id} className={className}>
      {label}
      <select
        id={id}
        data-testid={testId}
        value={value}
        disabled={disabled}
        required={required}
        onChange={(e) => onChange(e.target.value)}
      >
        {children}
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
