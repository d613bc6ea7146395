import { createApp } from 'vue'
import {
  ElAlert, ElButton, ElCard, ElCol, ElConfigProvider, ElDatePicker, ElForm, ElFormItem,
  ElInput, ElOption, ElResult, ElRow, ElSelect, ElTable, ElTableColumn, ElTag,
} from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { router } from './router.js'
import './style.css'

const app = createApp(App)
for (const part of [ElAlert, ElButton, ElCard, ElCol, ElConfigProvider, ElDatePicker, ElForm,
  ElFormItem, ElInput, ElOption, ElResult, ElRow, ElSelect, ElTable, ElTableColumn, ElTag]) {
  app.use(part)
}
app.use(router).mount('#app')
