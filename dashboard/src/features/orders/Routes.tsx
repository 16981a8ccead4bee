import { Route, Routes } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { CreateOrderPage } from './CreateOrderPage.js';
import { DeskPage } from './DeskPage.js';
import { OrderPage } from './OrderPage.js';
import './orders.css';
import { useFeatureMessages } from '../../i18n/i18n.js';
import * as messages from './messages.js';

/** The work-order desk, mounted at /orders/* by App.tsx: the desk, a new order, one order. */
export default function OrdersRoutes() {
  useFeatureMessages('orders', messages);
  const can = useCan();
  return (
    <Routes>
      <Route index element={<DeskPage />} />
      {can('orders.create') ? <Route path="new" element={<CreateOrderPage />} /> : null}
      <Route path=":id" element={<OrderPage />} />
      <Route path="*" element={<DeskPage />} />
    </Routes>
  );
}
