import { Route, Routes } from 'react-router';
import { useCan } from '../../auth/permissions.js';
import { CreateOrderPage } from './CreateOrderPage.js';
import { DeskPage } from './DeskPage.js';
import { OrderPage } from './OrderPage.js';
import './orders.css';

/** The work-order desk, mounted at /orders/* by App.tsx: the desk, a new order, one order. */
export default function OrdersRoutes() {
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
